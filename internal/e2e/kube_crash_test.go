package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/remediate"
	"github.com/firebreak-dev/firebreak/workflows"
)

// Parameters of TestKubeCrash.
const (
	// kubeCrashKills is how many SIGKILLs must land inside a scale or
	// rollback activity.
	kubeCrashKills = 20
	// kubeCrashPool is how many Deployments of each kind are made ready
	// for kill rounds. A kill that misses its activity (it lands just
	// after the activity completed) or a round without a kill takes
	// another round, so there are more than kubeCrashKills/2 of each.
	kubeCrashPool = 16
	// kubeCrashLatency delays every answer of the API server to the
	// worker, so each Kubernetes call takes long enough for a kill to land
	// inside the activity making it.
	kubeCrashLatency = 500 * time.Millisecond
	// kubeCrashReplicas is where every scale Deployment starts.
	kubeCrashReplicas = 2

	imageV1 = "registry.invalid/kube-crash:v1" // the good revision
	imageV2 = "registry.invalid/kube-crash:v2" // the bad revision rollback leaves
)

// crashKind is one of the two actions TestKubeCrash kills inside.
type crashKind struct {
	name      string // "scale" or "rollback"
	alertname string // what the runbook matches
	read      string // activity that records the prior state
	apply     string // activity that sets the desired state
	// window is how long each activity runs without kills, from the
	// moment the test sees it started until the test sees it completed
	// (measured by a calibration run); kills are placed uniformly in it.
	window map[string]time.Duration
}

// crashRun is one incident of TestKubeCrash.
type crashRun struct {
	kind   *crashKind
	name   string        // the Deployment
	id     string        // the incident
	before int64         // replicas (scale) or revision (rollback) before the incident
	target string        // the activity the round kills inside
	delay  time.Duration // from when the target was seen started to the kill
	killed bool
	// killedIn is the activity still running when the worker died (seen
	// right after the kill), "" when the kill missed both activities.
	killedIn string
	skipped  string // why no kill was made in this round
	settled  bool   // its apply has completed
}

// TestKubeCrash is the crash test of the Kubernetes actions: the worker (the
// real firebreak binary, `firebreak serve --role worker`) is killed with
// SIGKILL at a random point inside scale and rollback activities, at least
// kubeCrashKills times, and restarted. Temporal runs in the test process, so
// only the worker dies; the worker reaches the shared API server through a
// proxy that delays every answer, so the kills land inside API calls.
// Every incident must still resolve with its action applied, and every
// Deployment must show exactly the one intended change: one replica more
// (never two) after a scale, the previous image and exactly one new
// revision after a rollback.
//
// Each round starts one incident through the webhook of an in-process
// receiver, waits for the round's target activity (the read or the apply of
// its action, in turn) to start, waits a random delay drawn uniformly from
// the time that activity takes (measured beforehand by one unkilled run of
// each kind), kills the worker's process group, checks that the activity
// was still running, and restarts the worker. Rounds overlap: the killed
// activity is retried after its start-to-close timeout while the next
// rounds run, so a kill may also hit another incident's retry; a kill that
// would end an activity's last allowed attempt is not made (that would test
// the retry budget, not idempotence). Afterwards each incident's history
// must show the killed attempt timed out and a later one completed. The
// seed is logged; FIREBREAK_CRASH_SEED replays a schedule.
func TestKubeCrash(t *testing.T) {
	began := time.Now()
	k := testutil.SharedKube(t)
	type built struct {
		bin string
		err error
	}
	binc := make(chan built, 1)
	go func() {
		bin, err := buildFirebreak()
		binc <- built{bin, err}
	}()

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FIREBREAK_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FIREBREAK_CRASH_SEED=%q: %v", s, err)
		}
		seed = v
	}
	rng := rand.New(rand.NewPCG(seed, 0x6b756265))
	t.Logf("seed %d (FIREBREAK_CRASH_SEED=%d replays this schedule)", seed, seed)

	scale := &crashKind{name: "scale", alertname: "KubeCrashScale", read: "KubeScaleRead", apply: "KubeScaleApply", window: map[string]time.Duration{}}
	rollback := &crashKind{name: "rollback", alertname: "KubeCrashRollback", read: "KubeRollbackRead", apply: "KubeRollbackApply", window: map[string]time.Duration{}}
	ns := k.Namespace(t, "kube-crash")
	pool := map[*crashKind][]string{}
	for i := 0; i <= kubeCrashPool; i++ { // one more of each for calibration
		pool[scale] = append(pool[scale], fmt.Sprintf("scale-%02d", i))
		pool[rollback] = append(pool[rollback], fmt.Sprintf("rollback-%02d", i))
	}
	prepareCrashDeployments(t, k, ns, pool[scale], pool[rollback])
	t.Logf("%d deployments ready after %s", len(pool[scale])+len(pool[rollback]), time.Since(began).Round(time.Millisecond))

	srv := devservertest.StartForTest(t)
	taskQueue := "kube-crash"
	eng := startEngine(t, srv, engine.Options{
		Role:      engine.RoleReceiver,
		TaskQueue: taskQueue,
		Runbooks:  loadRunbooks(t, filepath.Join("testdata", "runbooks", "kube-crash")),
		Settings:  workflows.Settings{Linger: 10 * time.Minute},
	})
	webhook := "http://" + eng.Addr() + "/webhook/alertmanager"
	c := eng.Client()

	proxyAddr, proxy := testutil.Proxy(t, k.Config.Host)
	testutil.AddLatency(t, proxy, kubeCrashLatency)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "proxied.kubeconfig")
	kc, err := clientcmd.LoadFromFile(k.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range kc.Clusters {
		cl.Server = "https://" + proxyAddr // the serving certificate covers 127.0.0.1
	}
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	cfg := filepath.Join(dir, "firebreak.hcl")
	src := fmt.Sprintf("temporal {\n  address    = %q\n  namespace  = %q\n  task_queue = %q\n}\nserver {\n  listen = %q\n}\nkubernetes {\n  kubeconfig = %q\n}\n",
		srv.FrontendAddr(), srv.Namespace(), taskQueue, listen, kubeconfig)
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	b := <-binc
	if b.err != nil {
		t.Fatal(b.err)
	}
	w := newKubeWorker(t, b.bin, cfg, listen)
	w.start()
	t.Logf("worker built and started after %s", time.Since(began).Round(time.Millisecond))

	var runs []*crashRun
	open := func(kind *crashKind) *crashRun {
		name := pool[kind][0]
		pool[kind] = pool[kind][1:]
		r := &crashRun{kind: kind, name: name, before: crashBefore(t, k, ns, kind, name)}
		a := post(t, webhook, kubeAlert("firing", kind.alertname, ns, name))
		if a.code != http.StatusOK || len(a.body.IncidentIDs) != 1 {
			t.Fatalf("firing %s/%s: %d %s", kind.name, name, a.code, a.raw)
		}
		r.id = a.body.IncidentIDs[0]
		runs = append(runs, r)
		return r
	}
	// waitRunning waits until the run's activity has started, and returns
	// when it saw it.
	waitRunning := func(r *crashRun, activity string) time.Time {
		testutil.PollUntil(t, 60*time.Second, fmt.Sprintf("incident %s starts %s", r.id, activity), func() (bool, error) {
			act, err := runningKube(c, r.id, r.kind)
			return act == activity, err
		})
		return time.Now()
	}
	// restart kills the worker and starts it again. The Control workflow
	// is unstuck from the dead worker (see unstick).
	restart := func() {
		w.kill()
		unstick(t, c, srv.Namespace(), workflows.ControlWorkflowID(taskQueue))
		w.start()
	}

	// Calibration: one run of each kind without a kill, on a freshly
	// started worker as the kill rounds are, measures how long the read
	// and the apply take, between the moments the test sees them start and
	// complete.
	kinds := []*crashKind{scale, rollback}
	calibration := len(kinds)
	for _, kind := range kinds {
		r := open(kind)
		for _, activity := range []string{kind.read, kind.apply} {
			t0 := waitRunning(r, activity)
			testutil.PollUntil(t, 60*time.Second, fmt.Sprintf("calibration incident %s completes %s", r.id, activity), func() (bool, error) {
				return activityCompleted(t, c, r.id, activity), nil
			})
			kind.window[activity] = time.Since(t0)
		}
		t.Logf("calibration: %s read %s, apply %s", kind.name,
			kind.window[kind.read].Round(time.Millisecond), kind.window[kind.apply].Round(time.Millisecond))
		waitOutcome(t, c, r.id, time.Minute)
		restart()
	}

	// Kill rounds: scale and rollback in turn, each killed in its read and
	// in its apply in turn.
	var (
		inside     int           // kills that found the round's activity running
		collateral int           // retries of earlier incidents running at a kill
		late       time.Duration // the most a kill came after its drawn point
	)
	for round := 0; inside < kubeCrashKills && len(pool[kinds[round%2]]) > 0; round++ {
		kind := kinds[round%2]
		opened := time.Now()
		r := open(kind)
		r.target = kind.read
		if round/2%2 == 1 {
			r.target = kind.apply
		}
		t0 := waitRunning(r, r.target)
		toStart := t0.Sub(opened)
		// Fault injection: the kill point is drawn uniformly from the time
		// the activity takes; this sleep is the schedule, not a wait for a
		// condition.
		r.delay = time.Duration(rng.Int64N(int64(kind.window[r.target])))
		time.Sleep(time.Until(t0.Add(r.delay)))
		why, busy := lastAttemptRunning(c, runs, r, w.p.cmd.Process.Pid)
		if why != "" {
			// Killing now would use up another incident's last attempt,
			// which tests the retry budget, not idempotence: skip.
			r.skipped = why
			t.Logf("round %d: %s %s: no kill (%s)", round, kind.name, r.name, why)
			continue
		}
		late = max(late, time.Since(t0)-r.delay)
		w.kill()
		collateral += busy
		r.killed = true
		act, err := runningKube(c, r.id, kind)
		if err != nil {
			t.Fatalf("describe %s after the kill: %v", r.id, err)
		}
		r.killedIn = act
		if act != "" {
			inside++
		}
		restarted := time.Now()
		unstick(t, c, srv.Namespace(), workflows.ControlWorkflowID(taskQueue))
		w.start()
		t.Logf("round %d: %s %s: %s seen started %s after the alert, killed %s later: running %q (and %d retries of earlier incidents); worker back in %s",
			round, kind.name, r.name, r.target, toStart.Round(time.Millisecond), r.delay.Round(time.Millisecond), act, busy,
			time.Since(restarted).Round(time.Millisecond))
		settle(t, c, runs)
	}
	roundsDone := time.Since(began)

	// Every incident reaches its outcome and then closes when its alert
	// resolves; its record and the Deployment show the one change.
	var killed, skipped, confirmed, landedBefore, readKills, applyKills int
	windows := fmt.Sprintf("scale %s+%s, rollback %s+%s", scale.window[scale.read].Round(time.Millisecond), scale.window[scale.apply].Round(time.Millisecond),
		rollback.window[rollback.read].Round(time.Millisecond), rollback.window[rollback.apply].Round(time.Millisecond))
	for _, r := range runs {
		waitOutcome(t, c, r.id, 3*time.Minute)
		if a := post(t, webhook, kubeAlert("resolved", r.kind.alertname, ns, r.name)); a.code != http.StatusOK ||
			len(a.body.Alerts) != 1 || a.body.Alerts[0].Result != "resolved" {
			t.Fatalf("resolving %s: %d %s", r.id, a.code, a.raw)
		}
		st := waitClosed(t, c, r.id, time.Minute)
		if r.killed {
			killed++
		}
		if r.skipped != "" {
			skipped++
		}
		// Confirm from the history that the activity seen running at the
		// kill never completed that attempt: it was retried after its
		// start-to-close timeout.
		switch {
		case r.killedIn == "":
		case !retriedAfterTimeout(t, c, r.id, r.killedIn):
			t.Logf("%s %s: %s was running at the kill but its history shows no timed-out attempt", r.kind.name, r.name, r.killedIn)
		case r.killedIn == r.kind.read:
			confirmed++
			readKills++
		default:
			confirmed++
			applyKills++
			if len(st.Actions) == 1 && st.Actions[0].Applied && !st.Actions[0].Changed {
				landedBefore++ // the killed attempt had written the change; the retry found it done
			}
		}
		if st.Outcome != incident.OutcomeResolved {
			t.Errorf("%s %s (%s): outcome %s: %s\n%s", r.kind.name, r.name, r.id, st.Outcome, st.Reason, timeline(st))
			continue
		}
		if len(st.Actions) != 1 || !st.Actions[0].Applied || st.Actions[0].Error != "" {
			t.Errorf("%s %s: actions %+v, want one applied", r.kind.name, r.name, st.Actions)
			continue
		}
		checkCrashTarget(t, k, ns, r, st.Actions[0])
		counts := scheduledActivities(t, c, r.id)
		if counts[r.kind.read] != 1 || counts[r.kind.apply] != 1 {
			t.Errorf("%s %s: activities scheduled %v, want %s and %s once each", r.kind.name, r.name, counts, r.kind.read, r.kind.apply)
		}
	}
	if confirmed < kubeCrashKills {
		t.Errorf("%d kills landed inside a scale or rollback activity, want at least %d", confirmed, kubeCrashKills)
	}
	t.Logf("kube crash: %d runs with a kill (%d rounds, %d without a kill to spare a last attempt; %d calibration runs), %d kills inside activities (%d in a read, %d in an apply; "+
		"%d applies had written the change before dying; %d retries of earlier incidents killed too), %d worker starts; seed %d; "+
		"activities (read+apply) %s at %s API latency, kills at most %s after their drawn point; rounds done after %s, total %s",
		killed, len(runs)-calibration, skipped, calibration, confirmed, readKills, applyKills, landedBefore, collateral, w.starts, seed,
		windows, kubeCrashLatency, late.Round(time.Millisecond),
		roundsDone.Round(time.Second), time.Since(began).Round(time.Second))
}

// prepareCrashDeployments creates the scale Deployments with
// kubeCrashReplicas replicas of imageV1, and the rollback Deployments at
// imageV1 then updated to imageV2, so each has a previous ReplicaSet to
// return to, and waits for every rollout.
func prepareCrashDeployments(t *testing.T, k *testutil.Kube, ns string, scales, rollbacks []string) {
	t.Helper()
	for _, name := range scales {
		k.CreateDeployment(t, ns, name, kubeCrashReplicas, imageV1)
	}
	for _, name := range rollbacks {
		k.CreateDeployment(t, ns, name, 1, imageV1)
	}
	// The first ReplicaSet must exist before the update, or the controller
	// may only ever see the second template.
	for _, name := range rollbacks {
		k.WaitDeploymentReady(t, ns, name, 1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, name := range rollbacks {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			d, err := k.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			d.Spec.Template.Spec.Containers[0].Image = imageV2
			_, err = k.Client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatalf("update %s/%s to %s: %v", ns, name, imageV2, err)
		}
	}
	for _, name := range scales {
		k.WaitDeploymentReady(t, ns, name, kubeCrashReplicas)
	}
	for _, name := range rollbacks {
		k.WaitDeploymentReady(t, ns, name, 1)
		d := getDeployment(t, k, ns, name)
		if rev := d.Annotations[remediate.RevisionAnnotation]; rev != "2" {
			t.Fatalf("%s/%s after the update to %s: revision %q, want 2", ns, name, imageV2, rev)
		}
	}
}

func getDeployment(t *testing.T, k *testutil.Kube, ns, name string) *appsv1.Deployment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := k.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment %s/%s: %v", ns, name, err)
	}
	return d
}

// crashBefore reads what the incident will change: spec.replicas for a
// scale, the revision for a rollback.
func crashBefore(t *testing.T, k *testutil.Kube, ns string, kind *crashKind, name string) int64 {
	t.Helper()
	d := getDeployment(t, k, ns, name)
	if kind.name == "scale" {
		return int64(*d.Spec.Replicas)
	}
	rev, err := strconv.ParseInt(d.Annotations[remediate.RevisionAnnotation], 10, 64)
	if err != nil {
		t.Fatalf("%s/%s: revision %q: %v", ns, name, d.Annotations[remediate.RevisionAnnotation], err)
	}
	return rev
}

// checkCrashTarget checks that the Deployment shows exactly the run's one
// intended change.
func checkCrashTarget(t *testing.T, k *testutil.Kube, ns string, r *crashRun, a incident.ActionRecord) {
	t.Helper()
	if r.kind.name == "scale" {
		d := getDeployment(t, k, ns, r.name)
		if got := int64(*d.Spec.Replicas); got != r.before+1 || a.Prior != r.before || a.Planned != r.before+1 {
			t.Errorf("scale %s (killed %v in %q after %s): spec.replicas %d, record %d → %d; want exactly one more than %d",
				r.name, r.killed, r.killedIn, r.delay, got, a.Prior, a.Planned, r.before)
		}
		return
	}
	// The Deployment controller numbers the revision after the template
	// changes: wait until it has seen the latest spec before reading it.
	var d *appsv1.Deployment
	testutil.PollUntil(t, 30*time.Second, "deployment "+r.name+" observed", func() (bool, error) {
		d = getDeployment(t, k, ns, r.name)
		return d.Status.ObservedGeneration >= d.Generation, fmt.Errorf("generation %d observed %d", d.Generation, d.Status.ObservedGeneration)
	})
	image := d.Spec.Template.Spec.Containers[0].Image
	rev := d.Annotations[remediate.RevisionAnnotation]
	if image != imageV1 || rev != strconv.FormatInt(r.before+1, 10) || a.Prior != r.before {
		t.Errorf("rollback %s (killed %v in %q after %s): image %s revision %s (record: revision %d → template of %d); want %s at revision %d",
			r.name, r.killed, r.killedIn, r.delay, image, rev, a.Prior, a.Planned, imageV1, r.before+1)
	}
}

// runningKube returns the kind's read or apply activity when the incident
// has one started (running on a worker, or on a worker that died), or "".
func runningKube(c client.Client, id string, kind *crashKind) (string, error) {
	for _, p := range pendingActivities(c, id) {
		n := p.GetActivityType().GetName()
		if (n == kind.read || n == kind.apply) && p.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
			return n, nil
		}
	}
	return "", nil
}

func pendingActivities(c client.Client, id string) []*workflowpb.PendingActivityInfo {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil
	}
	return d.GetPendingActivities()
}

// lastAttemptRunning says which earlier incident has an activity running
// its last allowed attempt on the live worker (process pid), or "", and how
// many earlier incidents have their read or apply running there (being
// retried after an earlier kill). It looks only at runs settle has not yet
// set aside.
func lastAttemptRunning(c client.Client, runs []*crashRun, current *crashRun, pid int) (string, int) {
	live := fmt.Sprintf("%d@", pid) // the SDK's default worker identity is pid@host@
	busy := 0
	for _, r := range runs {
		if r == current || r.settled {
			continue
		}
		for _, p := range pendingActivities(c, r.id) {
			// An attempt started by a worker killed earlier is already
			// lost; only the live worker's attempts die with this kill.
			if p.GetState() != enumspb.PENDING_ACTIVITY_STATE_STARTED || !strings.HasPrefix(p.GetLastWorkerIdentity(), live) {
				continue
			}
			if n := p.GetActivityType().GetName(); n == r.kind.read || n == r.kind.apply {
				busy++
			}
			if p.GetMaximumAttempts() > 0 && p.GetAttempt() >= p.GetMaximumAttempts() {
				return fmt.Sprintf("incident %s runs the last attempt (%d) of %s", r.id, p.GetAttempt(), p.GetActivityType().GetName()), busy
			}
		}
	}
	return "", busy
}

// settle sets aside the runs whose apply has completed: no kill can reach
// their Kubernetes activities any more.
func settle(t *testing.T, c client.Client, runs []*crashRun) {
	for _, r := range runs {
		if !r.settled && activityCompleted(t, c, r.id, r.kind.apply) {
			r.settled = true
		}
	}
}

// activityCompleted says whether the incident's history records the
// completion of an activity of this type.
func activityCompleted(t *testing.T, c client.Client, id, activity string) bool {
	t.Helper()
	types := map[int64]string{}
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return false
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			types[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskCompletedEventAttributes(); a != nil && types[a.GetScheduledEventId()] == activity {
			return true
		}
	}
	return false
}

// retriedAfterTimeout says whether the activity of this type completed on
// a later attempt after an attempt hit its start-to-close timeout: the
// worker running it died.
func retriedAfterTimeout(t *testing.T, c client.Client, id, activity string) bool {
	t.Helper()
	types := map[int64]string{}
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			types[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && types[a.GetScheduledEventId()] == activity {
			tf := a.GetLastFailure().GetTimeoutFailureInfo()
			return a.GetAttempt() > 1 && tf != nil && tf.GetTimeoutType() == enumspb.TIMEOUT_TYPE_START_TO_CLOSE
		}
	}
	return false
}

// unstick points a workflow's next tasks at the task queue every worker
// polls instead of the sticky queue of the worker that was just killed, as
// the worker would on a graceful shutdown. TestKubeCrash does it for the
// engine-wide Control workflow, which every incident asks for a
// remediation slot: otherwise, after each kill, the next incident would
// wait the dead sticky queue's five-second schedule-to-start timeout
// before its first action, once per round. The incidents' own workflows
// are left to recover as they would in production.
func unstick(t *testing.T, c client.Client, namespace, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.WorkflowService().ResetStickyTaskQueue(ctx, &workflowservice.ResetStickyTaskQueueRequest{
		Namespace: namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: id},
	})
	if err != nil {
		t.Fatalf("reset the sticky task queue of %s: %v", id, err)
	}
}

// kubeAlert is an Alertmanager webhook body with one alert about a
// Deployment: labels alertname, namespace and service (its name).
func kubeAlert(status, alertname, ns, name string) []byte {
	labels := map[string]string{"alertname": alertname, "namespace": ns, "service": name, "severity": "page"}
	endsAt := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		endsAt = time.Now().UTC().Format(time.RFC3339Nano)
	}
	body, err := json.Marshal(map[string]any{
		"receiver": "firebreak", "status": status, "version": "4", "externalURL": "http://alertmanager.invalid",
		"groupKey":     fmt.Sprintf("{}:{alertname=%q, namespace=%q, service=%q}", alertname, ns, name),
		"groupLabels":  map[string]string{"alertname": alertname, "namespace": ns, "service": name},
		"commonLabels": labels,
		"alerts": []map[string]any{{
			"status": status, "labels": labels, "annotations": map[string]string{"summary": alertname + " on " + name},
			"startsAt": "2026-11-23T10:00:00Z", "endsAt": endsAt,
		}},
	})
	if err != nil {
		panic(err)
	}
	return body
}

// kubeWorker is the `firebreak serve --role worker` process TestKubeCrash
// kills and restarts; every start appends to one log.
type kubeWorker struct {
	t        *testing.T
	bin, cfg string
	listen   string
	log      *os.File
	p        *devProcess
	starts   int
}

func newKubeWorker(t *testing.T, bin, cfg, listen string) *kubeWorker {
	logf, err := os.CreateTemp(t.TempDir(), "firebreak-worker-*.log")
	if err != nil {
		t.Fatal(err)
	}
	w := &kubeWorker{t: t, bin: bin, cfg: cfg, listen: listen, log: logf}
	t.Cleanup(func() {
		if w.p != nil {
			w.p.kill(syscall.SIGKILL)
		}
		if t.Failed() {
			tail(t, logf.Name())
		}
	})
	return w
}

// start starts the worker and waits until it answers /healthz, which it
// does once its Temporal worker has started polling.
func (w *kubeWorker) start() {
	t := w.t
	t.Helper()
	w.starts++
	fmt.Fprintf(w.log, "=== worker start %d at %s\n", w.starts, time.Now().Format("15:04:05.000"))
	cmd := exec.Command(w.bin, "serve", "--role", "worker", "--config", w.cfg, "--log-level", "info")
	cmd.Stdout, cmd.Stderr = w.log, w.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &devProcess{cmd: cmd, done: make(chan struct{}), log: w.log}
	go func() { _ = cmd.Wait(); close(p.done) }()
	w.p = p
	testutil.PollUntil(t, 30*time.Second, "worker /healthz", func() (bool, error) {
		select {
		case <-p.done:
			return false, fmt.Errorf("worker exited: %s", cmd.ProcessState)
		default:
		}
		resp, err := http.Get("http://" + w.listen + "/healthz")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Errorf("healthz: %d", resp.StatusCode)
	})
}

// kill SIGKILLs the worker's process group and waits for it to die.
func (w *kubeWorker) kill() {
	w.p.kill(syscall.SIGKILL)
	fmt.Fprintf(w.log, "=== worker SIGKILLed at %s\n", time.Now().Format("15:04:05.000"))
}
