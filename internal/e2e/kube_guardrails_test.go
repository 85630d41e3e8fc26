package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
	"github.com/firebreak-dev/firebreak/workflows"
)

// These tests put the guardrails under the adversarial conditions the
// issue names, on a real API server (kube-apiserver, controller-manager,
// scheduler and kwok) and the real engine on an embedded Temporal server:
// a flapping alert, two runbooks on one Deployment, fifty services alerting
// at once, the kill switch, dry runs and hostile label values. Every test
// counts what the engine's Kubernetes client actually sent.

// apiCounter counts the requests the engine's Kubernetes client sends.
type apiCounter struct {
	total, mutating atomic.Int64
	mu              sync.Mutex
	mutations       []string
}

func (c *apiCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		c.total.Add(1)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			c.mutating.Add(1)
			c.mu.Lock()
			c.mutations = append(c.mutations, r.Method+" "+r.URL.Path)
			c.mu.Unlock()
		}
		return rt.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// kubeScenario is an engine acting on a shared cluster, in its own
// namespace, escalating to a PagerDuty test server and a record file.
type kubeScenario struct {
	kube    *testutil.Kube
	ns      string
	eng     *engine.Engine
	c       client.Client
	pd      *pdserver.Server
	records string
	api     *apiCounter
}

// startKubeScenario writes the runbooks (name → HCL) and starts an engine
// whose Kubernetes client counts its requests.
func startKubeScenario(t *testing.T, rbs map[string]string, set workflows.Settings) *kubeScenario {
	t.Helper()
	kube := testutil.SharedKube(t)
	s := &kubeScenario{kube: kube, ns: kube.Namespace(t, "guard"), pd: pdserver.Start(t), api: &apiCounter{}}
	dir := t.TempDir()
	for name, src := range rbs {
		if err := os.WriteFile(filepath.Join(dir, name+".hcl"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := rest.CopyConfig(kube.Config)
	cfg.WrapTransport = s.api.wrap
	cfg.QPS, cfg.Burst = 200, 400
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pc, err := pagerduty.New(pagerduty.Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: s.pd.URL, Timeout: 3 * time.Second}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if set.Linger == 0 {
		set.Linger = 10 * time.Minute
	}
	s.records = filepath.Join(t.TempDir(), "escalations.jsonl")
	srv := devservertest.StartForTest(t)
	s.eng = startEngine(t, srv, engine.Options{
		Runbooks:   loadRunbooks(t, dir),
		Settings:   set,
		Kube:       kc,
		Pager:      &escalate.PagerDutyPager{Services: map[string]*pagerduty.Client{"default": pc}},
		RecordPath: s.records,
		Log:        quiet,
	})
	s.c = s.eng.Client()
	return s
}

// alert posts one alert for a service in the scenario's namespace and
// returns its incident ID.
func (s *kubeScenario) alert(t *testing.T, alertname, service, status string) string {
	t.Helper()
	return s.alertIn(t, alertname, s.ns, service, status)
}

func (s *kubeScenario) alertIn(t *testing.T, alertname, namespace, service, status string) string {
	t.Helper()
	labels := map[string]string{"alertname": alertname, "namespace": namespace, "service": service}
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": status, "receiver": "firebreak", "groupKey": "{}:{service=\"" + service + "\"}",
		"alerts": []map[string]any{{
			"status": status, "labels": labels,
			"startsAt":    time.Now().UTC().Format(time.RFC3339Nano),
			"fingerprint": fmt.Sprintf("%x", []byte(alertname+"/"+namespace+"/"+service))[:16],
		}},
	})
	a := post(t, "http://"+s.eng.Addr()+"/webhook/alertmanager", body)
	if a.code != http.StatusOK {
		t.Fatalf("webhook answered %d: %s", a.code, a.raw)
	}
	if len(a.body.IncidentIDs) != 1 {
		if status == "resolved" {
			return ""
		}
		t.Fatalf("webhook matched %d incidents, want 1: %s", len(a.body.IncidentIDs), a.raw)
	}
	return a.body.IncidentIDs[0]
}

// outcome waits for the incident's current run to have an outcome.
func (s *kubeScenario) outcome(t *testing.T, id string, timeout time.Duration) incident.State {
	t.Helper()
	var st incident.State
	testutil.PollUntil(t, timeout, "an outcome of "+id, func() (bool, error) {
		var err error
		st, err = incidentState(t, s.c, id)
		if err != nil {
			return false, err
		}
		return st.Outcome != "", fmt.Errorf("phase %s", st.Phase)
	})
	return st
}

// closed waits until the incident's workflow is no longer running.
func (s *kubeScenario) closed(t *testing.T, id string) {
	t.Helper()
	testutil.PollUntil(t, 30*time.Second, id+" closed", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := s.c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return false, err
		}
		st := d.WorkflowExecutionInfo.Status
		return st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, fmt.Errorf("status %s", st)
	})
}

func (s *kubeScenario) replicas(t *testing.T, name string) (int32, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := s.kube.Client.AppsV1().Deployments(s.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas, d.Generation
}

// pause turns the kill switch on through the Control workflow, as
// `firebreak pause` does.
func (s *kubeScenario) control(t *testing.T, update string, arg any) workflows.ControlState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := s.c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: workflows.ControlWorkflowID(s.taskQueue(t)), TaskQueue: s.taskQueue(t),
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.ControlWorkflowName, workflows.ControlInput{})
	h, err := s.c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: update, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		t.Fatalf("%s: %v", update, err)
	}
	var st workflows.ControlState
	if err := h.Get(ctx, &st); err != nil {
		t.Fatalf("%s: %v", update, err)
	}
	return st
}

func (s *kubeScenario) taskQueue(t *testing.T) string {
	return "firebreak-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
}

func (s *kubeScenario) triggers(prefix string) (match, other int) {
	for _, e := range s.pd.Events() {
		if e.Action != "trigger" {
			continue
		}
		if strings.HasPrefix(e.DedupKey, prefix) {
			match++
		} else {
			other++
		}
	}
	return match, other
}

func applied(st incident.State) int {
	n := 0
	for _, a := range st.Actions {
		if a.Applied {
			n++
		}
	}
	return n
}

// scaleRunbook scales the alert's service by +1 (max 50), with the given
// guardrails body, escalating to PagerDuty and the record.
func scaleRunbook(name, alertname, guardrails string) string {
	return kubeRunbook(name, alertname, fmt.Sprintf(`
  remediate "scale_out" {
    action "scale" {
      kubernetes_scale {
        target = target.app
        set    = "+1"
        max    = 50
      }
    }
  }

  escalate {
    log {}
    pagerduty {
      service = "default"
    }
  }

  guardrails {
%s
  }
`, guardrails))
}

// kubeRunbook is a runbook for alerts named alertname, one incident per
// namespace and service, with target "app" the Deployment named by the
// alert's service label in its namespace label; body is the rest.
func kubeRunbook(name, alertname, body string) string {
	return fmt.Sprintf(`runbook %q {
  match    = ["alertname=\"%s\""]
  group_by = ["namespace", "service"]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
%s}
`, name, alertname, body)
}

// TestFlappingAlertBoundedByMaxActions: an alert that fires and resolves
// 100 times acts at most max_actions times in the window; every other
// firing is refused by the target's ledger, durably, across 100 incidents.
func TestFlappingAlertBoundedByMaxActions(t *testing.T) {
	s := startKubeScenario(t, map[string]string{
		"flap": scaleRunbook("flap", "Flapping", `    max_actions = 3
    window      = "10m"`),
	}, workflows.Settings{})
	s.kube.CreateDeployment(t, s.ns, "web", 2, "web:1")
	start := time.Now()
	actions, refused := 0, 0
	for i := 0; i < 100; i++ {
		id := s.alert(t, "Flapping", "web", "firing")
		st := s.outcome(t, id, 30*time.Second)
		actions += applied(st)
		if strings.Contains(st.Reason, "max_actions 3") {
			refused++
		}
		s.alert(t, "Flapping", "web", "resolved")
		s.closed(t, id)
	}
	elapsed := time.Since(start)
	replicas, _ := s.replicas(t, "web")
	t.Logf("100 fire/resolve cycles in %s: %d actions, %d refused by max_actions, replicas %d", elapsed.Round(time.Second), actions, refused, replicas)
	if elapsed > 10*time.Minute {
		t.Fatalf("the cycles took %s, more than the 10m window the budget is counted over", elapsed)
	}
	if actions != 3 || replicas != 5 {
		t.Fatalf("actions = %d, replicas = %d; want exactly max_actions = 3 actions (2 → 5)", actions, replicas)
	}
	if refused != 97 {
		t.Fatalf("%d incidents refused by max_actions, want the other 97", refused)
	}
	if n := s.api.mutating.Load(); n != 3 {
		t.Fatalf("the engine sent %d mutating API requests, want 3: %v", n, s.api.mutations)
	}
}

// TestTwoRunbooksOneDeploymentNeverConcurrent: two runbooks remediating the
// same Deployment, fired together three times, take turns: the spans during
// which each held the target never overlap, and both got to act each time.
// A third runbook with on_busy = "escalate" escalates at once instead.
func TestTwoRunbooksOneDeploymentNeverConcurrent(t *testing.T) {
	restart := kubeRunbook("restarter", "Restart", `  remediate "restart" {
    action "restart" {
      kubernetes_restart {
        target = target.app
        wait   = "60s"
      }
    }
  }
  escalate {
    log {}
  }
  guardrails {
    max_actions = 10
  }
`)
	impatient := scaleRunbook("impatient", "Impatient", `    max_actions = 10
    on_busy     = "escalate"`)
	s := startKubeScenario(t, map[string]string{
		"restarter": restart,
		"scaler": strings.Replace(scaleRunbook("scaler", "Scale", `    max_actions = 10`),
			"max    = 50\n", "max    = 50\n        wait   = \"60s\"\n", 1),
		"impatient": impatient,
	}, workflows.Settings{})
	s.kube.CreateDeployment(t, s.ns, "api", 2, "api:1")
	s.kube.WaitDeploymentReady(t, s.ns, "api", 2)

	type span struct {
		id       string
		from, to time.Time
	}
	var spans []span
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		ids := make([]string, 2)
		for i, name := range []string{"Restart", "Scale"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids[i] = s.alert(t, name, "api", "firing")
			}()
		}
		wg.Wait()
		for i, id := range ids {
			st := s.outcome(t, id, 2*time.Minute)
			if st.Outcome != incident.OutcomeResolved || applied(st) != 1 {
				t.Fatalf("round %d: %s ended %s (%s) with %d actions; want resolved after acting once", round, id, st.Outcome, st.Reason, applied(st))
			}
			// The span from the permit's grant to its release covers every
			// read, action and rollout wait of the remediation.
			var granted, released time.Time
			for _, e := range st.Timeline {
				if strings.HasPrefix(e.Message, "permit granted for kubernetes/deployment/") {
					granted = e.At
				}
				if strings.HasPrefix(e.Message, "releasing the permit of kubernetes/deployment/") {
					released = e.At
				}
			}
			if granted.IsZero() || released.IsZero() {
				t.Fatalf("round %d: %s has no permit grant and release in its timeline", round, id)
			}
			spans = append(spans, span{id: fmt.Sprintf("%s#%d", []string{"restart", "scale"}[i], round), from: granted, to: released})
		}
		for _, n := range []string{"Restart", "Scale"} {
			s.alert(t, n, "api", "resolved")
		}
		for _, id := range ids {
			s.closed(t, id)
		}
		if round == 0 {
			recordHistory(t, s.c, ids[1], "kube-scale-resolved", "KubeScaleApply")
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
	for i := 1; i < len(spans); i++ {
		if spans[i].from.Before(spans[i-1].to) {
			t.Fatalf("%s held the Deployment from %s while %s held it until %s: concurrent remediations",
				spans[i].id, spans[i].from.Format(time.StampMilli), spans[i-1].id, spans[i-1].to.Format(time.StampMilli))
		}
	}
	replicas, _ := s.replicas(t, "api")
	if replicas != 5 {
		t.Fatalf("replicas = %d, want 5 (2 + three scale-outs)", replicas)
	}

	// on_busy = "escalate": while the restarter holds the target, the
	// impatient runbook escalates at once and changes nothing.
	holder := s.alert(t, "Restart", "api", "firing")
	testutil.PollUntil(t, time.Minute, "the restarter to hold the target", func() (bool, error) {
		st, err := incidentState(t, s.c, holder)
		for _, e := range st.Timeline {
			if strings.HasPrefix(e.Message, "permit granted") {
				return st.Outcome == "", fmt.Errorf("already ended: %s", st.Outcome)
			}
		}
		return false, err
	})
	busy := s.alert(t, "Impatient", "api", "firing")
	st := s.outcome(t, busy, time.Minute)
	if st.Outcome != incident.OutcomeEscalated || !strings.Contains(st.Reason, "busy") || applied(st) != 0 {
		t.Fatalf("impatient runbook ended %s (%s) with %d actions; want escalated at once as busy", st.Outcome, st.Reason, applied(st))
	}
	if got, _ := s.replicas(t, "api"); got != 5 {
		t.Fatalf("replicas = %d after the busy refusal, want 5", got)
	}
	var turns []string
	for _, sp := range spans {
		turns = append(turns, fmt.Sprintf("%s %s–%s", sp.id, sp.from.Format("15:04:05.000"), sp.to.Format("15:04:05.000")))
	}
	t.Logf("6 remediations on one Deployment took turns: %s", strings.Join(turns, ", "))
}

// TestStormGroupsFiftyServices: fifty services alerting within a minute
// (threshold 10) start storm mode: exactly one grouped escalation, no
// individual pages, and no action by any incident opened after the
// threshold.
func TestStormGroupsFiftyServices(t *testing.T) {
	const services, threshold = 50, 10
	s := startKubeScenario(t, map[string]string{
		"svc": scaleRunbook("svc", "ServiceErrors", `    max_actions = 3`),
	}, workflows.Settings{Control: workflows.ControlSettings{
		StormThreshold: threshold, StormWindow: time.Minute, StormQuiet: 10 * time.Minute, StormPage: true, StormPagerDutyService: "default",
	}})
	for i := 0; i < services; i++ {
		s.kube.CreateDeployment(t, s.ns, fmt.Sprintf("svc-%02d", i), 1, "svc:1")
	}
	start := time.Now()
	ids := make([]string, services)
	for i := range ids {
		ids[i] = s.alert(t, "ServiceErrors", fmt.Sprintf("svc-%02d", i), "firing")
	}
	sent := time.Since(start)
	if sent > time.Minute {
		t.Fatalf("sending %d alerts took %s, more than the storm window", services, sent)
	}
	states := make([]incident.State, services)
	for i, id := range ids {
		states[i] = s.outcome(t, id, 3*time.Minute)
	}
	var ctl workflows.ControlState
	v, err := s.c.QueryWorkflow(context.Background(), workflows.ControlWorkflowID(s.taskQueue(t)), "", workflows.QueryControl)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Get(&ctl); err != nil {
		t.Fatal(err)
	}
	if ctl.Storm == nil || ctl.Storm.Count != services {
		t.Fatalf("control state storm = %+v, want one storm of %d incidents", ctl.Storm, services)
	}
	defer recordHistory(t, s.c, workflows.ControlWorkflowID(s.taskQueue(t)), "control-storm", "Escalate")
	sort.Slice(states, func(i, j int) bool { return states[i].StartedAt.Before(states[j].StartedAt) })
	acted, grouped := 0, 0
	for i, st := range states {
		n := applied(st)
		acted += n
		if st.Outcome == incident.OutcomeGrouped {
			grouped++
		}
		if i >= threshold && n > 0 {
			t.Errorf("incident %s, opened %dth (after the threshold of %d), acted %d times", st.IncidentID, i+1, threshold, n)
		}
		// The storm reaches incidents as signals, so an incident holding a
		// slot may start an action in the milliseconds before its revoke
		// arrives; none may start one after it heard of the storm.
		var heard time.Time
		for _, e := range st.Timeline {
			if e.Kind == "guardrail" && (strings.HasPrefix(e.Message, "told to stop") || strings.HasPrefix(e.Message, "part of storm")) && heard.IsZero() {
				heard = e.At
			}
		}
		for _, a := range st.Actions {
			if a.Applied && !heard.IsZero() && !a.StartedAt.Before(heard) {
				t.Errorf("incident %s started an action at %s, after it heard of the storm at %s", st.IncidentID, a.StartedAt, heard)
			}
		}
	}
	testutil.PollUntil(t, 30*time.Second, "the grouped page", func() (bool, error) {
		m, _ := s.triggers("storm/")
		return m >= 1, nil
	})
	stormPages, individual := s.triggers("storm/")
	if stormPages != 1 || individual != 0 {
		t.Fatalf("PagerDuty got %d storm pages and %d individual pages; want exactly one grouped page and none else", stormPages, individual)
	}
	if acted > threshold {
		t.Fatalf("%d actions, more than the %d incidents before the threshold", acted, threshold)
	}
	if grouped < services-threshold {
		t.Fatalf("%d incidents grouped, want at least the %d after the threshold", grouped, services-threshold)
	}
	t.Logf("storm: %d alerts sent in %s; %d actions before the threshold, %d incidents grouped, 1 grouped page", services, sent.Round(time.Millisecond), acted, grouped)
}

// TestKillSwitchStopsEveryMutation: while paused at run time, incidents
// diagnose and escalate (PagerDuty gets every page) but the engine sends no
// mutating request; after resume, automation acts again.
func TestKillSwitchStopsEveryMutation(t *testing.T) {
	s := startKubeScenario(t, map[string]string{
		"svc": scaleRunbook("svc", "ServiceErrors", `    max_actions = 3`),
	}, workflows.Settings{})
	const n = 5
	for i := 0; i < n; i++ {
		s.kube.CreateDeployment(t, s.ns, fmt.Sprintf("svc-%d", i), 2, "svc:1")
	}
	st := s.control(t, workflows.UpdatePause, workflows.PauseRequest{By: "e2e", Reason: "database failover"})
	if st.Paused == nil || st.Paused.By != "e2e" {
		t.Fatalf("pause answered %+v", st.Paused)
	}
	before := s.api.mutating.Load()
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, s.alert(t, "ServiceErrors", fmt.Sprintf("svc-%d", i), "firing"))
	}
	for _, id := range ids {
		st := s.outcome(t, id, time.Minute)
		if st.Outcome != incident.OutcomeEscalated || !strings.Contains(st.Reason, "paused (kill switch) by e2e") || applied(st) != 0 {
			t.Fatalf("%s ended %s (%s) with %d actions; want escalated because paused", id, st.Outcome, st.Reason, applied(st))
		}
	}
	testutil.PollUntil(t, 30*time.Second, "a page per incident", func() (bool, error) {
		_, pages := s.triggers("storm/")
		return pages == n, fmt.Errorf("%d pages", pages)
	})
	if got := s.api.mutating.Load() - before; got != 0 {
		s.api.mu.Lock()
		defer s.api.mu.Unlock()
		t.Fatalf("the engine sent %d mutating requests while paused: %v", got, s.api.mutations)
	}
	for i := 0; i < n; i++ {
		if r, gen := s.replicas(t, fmt.Sprintf("svc-%d", i)); r != 2 || gen != 1 {
			t.Fatalf("svc-%d: replicas %d generation %d while paused, want 2 and 1", i, r, gen)
		}
	}

	s.control(t, workflows.UpdateResume, workflows.ResumeRequest{By: "e2e"})
	for i := 0; i < n; i++ {
		s.alert(t, "ServiceErrors", fmt.Sprintf("svc-%d", i), "resolved")
	}
	for _, id := range ids {
		s.closed(t, id)
	}
	id := s.alert(t, "ServiceErrors", "svc-0", "firing")
	if got := s.outcome(t, id, time.Minute); got.Outcome != incident.OutcomeResolved || applied(got) != 1 {
		t.Fatalf("after resume: %s (%s) with %d actions, want resolved after one action", got.Outcome, got.Reason, applied(got))
	}
	if r, _ := s.replicas(t, "svc-0"); r != 3 {
		t.Fatalf("after resume svc-0 has %d replicas, want 3", r)
	}
}

// TestDryRunOnKubernetes: a dry-run runbook records the plan with resolved
// values (replicas 2 → 3 for +50%, the image a rollback would restore) and
// sends no mutating request.
func TestDryRunOnKubernetes(t *testing.T) {
	s := startKubeScenario(t, map[string]string{"dry": kubeRunbook("dry", "Dry", `  diagnose "rollout" {
    kubernetes_rollout {
      target = target.app
    }
  }
  remediate "fix" {
    when = diagnosis.rollout.found
    action "scale" {
      kubernetes_scale {
        target = target.app
        set    = "+50%"
        max    = 10
      }
    }
    action "rollback" {
      kubernetes_rollback {
        target = target.app
      }
    }
    action "env" {
      kubernetes_set_env {
        target = target.app
        name   = "MODE"
        value  = "safe"
      }
    }
  }
  escalate {
    log {}
  }
  guardrails {
    dry_run = true
  }
`)}, workflows.Settings{})
	s.kube.CreateDeployment(t, s.ns, "shop", 2, "shop:1")
	s.kube.WaitDeploymentReady(t, s.ns, "shop", 2)
	ctx := context.Background()
	d, err := s.kube.Client.AppsV1().Deployments(s.ns).Get(ctx, "shop", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = "shop:2"
	if _, err := s.kube.Client.AppsV1().Deployments(s.ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.kube.WaitDeploymentReady(t, s.ns, "shop", 2)
	_, gen := s.replicas(t, "shop")

	id := s.alert(t, "Dry", "shop", "firing")
	st := s.outcome(t, id, time.Minute)
	defer recordHistory(t, s.c, id, "kube-dry-run", "KubeDiagnose")
	if st.Outcome != incident.OutcomeEscalated || !strings.Contains(st.Reason, "dry run") {
		t.Fatalf("outcome %s (%s), want escalated as a dry run", st.Outcome, st.Reason)
	}
	if len(st.Actions) != 3 {
		t.Fatalf("recorded %d actions, want the 3 planned: %+v", len(st.Actions), st.Actions)
	}
	want := []struct{ kind, after string }{
		{"kubernetes_scale", "replicas 3"},
		{"kubernetes_rollback", "app=shop:1"},
		{"kubernetes_set_env", `app/MODE="safe"`},
	}
	for i, w := range want {
		a := st.Actions[i]
		if a.Kind != w.kind || !a.DryRun || a.Applied || !strings.Contains(a.After, w.after) {
			t.Errorf("action %d = %+v, want a dry-run %s planning %q", i, a, w.kind, w.after)
		}
	}
	if n := s.api.mutating.Load(); n != 0 {
		t.Fatalf("dry run sent %d mutating requests: %v", n, s.api.mutations)
	}
	if r, g := s.replicas(t, "shop"); r != 2 || g != gen {
		t.Fatalf("dry run changed the Deployment: replicas %d generation %d (was 2, %d)", r, g, gen)
	}
}

// TestHostileLabelsRefusedBeforeAnyAPICall: label values that are not
// Kubernetes names are refused when the target is resolved, with a clear
// reason, and the engine sends no request at all.
func TestHostileLabelsRefusedBeforeAnyAPICall(t *testing.T) {
	s := startKubeScenario(t, map[string]string{"svc": kubeRunbook("svc", "Hostile", `  diagnose "rollout" {
    kubernetes_rollout {
      target = target.app
    }
  }
  remediate "restart" {
    action "restart" {
      kubernetes_restart {
        target = target.app
      }
    }
  }
  escalate {
    log {}
  }
`)}, workflows.Settings{})
	cases := []struct{ namespace, service, field string }{
		{"../kube-system", "api", "namespace"},
		{"Prod", "api", "namespace"},
		{s.ns, strings.Repeat("a", 300), "name"},
		{s.ns, "api;rm -rf", "name"},
		{s.ns, "api\nX-Injected: 1", "name"},
		{s.ns, "api/../../secrets", "name"},
		{"", "api", "namespace"},
	}
	for _, c := range cases {
		st := s.outcome(t, s.alertIn(t, "Hostile", c.namespace, c.service, "firing"), time.Minute)
		if st.Outcome != incident.OutcomeEscalated || !strings.Contains(st.Reason, "refused") || !strings.Contains(st.Reason, c.field) {
			t.Errorf("%s=%q: outcome %s (%s), want escalated with the %s refused", c.field, map[string]string{"namespace": c.namespace, "name": c.service}[c.field], st.Outcome, st.Reason, c.field)
		}
		if len(st.Actions) != 0 {
			t.Errorf("%q/%q: %d actions recorded", c.namespace, c.service, len(st.Actions))
		}
	}
	if n := s.api.total.Load(); n != 0 {
		t.Fatalf("the engine sent %d API requests for hostile targets, want none", n)
	}
}

// TestConcurrencyCapAcrossTargets: with max_concurrent_remediations = 1,
// four incidents on four different Deployments (so no target ledger
// serialises them) still remediate one at a time: the spans during which
// each held its engine slot never overlap, and every one acts.
func TestConcurrencyCapAcrossTargets(t *testing.T) {
	s := startKubeScenario(t, map[string]string{
		"restart": kubeRunbook("restart", "Restart", `  remediate "restart" {
    action "restart" {
      kubernetes_restart {
        target = target.app
        wait   = "60s"
      }
    }
  }
  escalate {
    log {}
  }
`),
	}, workflows.Settings{Control: workflows.ControlSettings{MaxConcurrent: 1}})
	const n = 4
	for i := 0; i < n; i++ {
		s.kube.CreateDeployment(t, s.ns, fmt.Sprintf("api-%d", i), 1, "api:1")
	}
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = s.alert(t, "Restart", fmt.Sprintf("api-%d", i), "firing")
		}()
	}
	wg.Wait()
	type span struct {
		id       string
		from, to time.Time
	}
	var spans []span
	for _, id := range ids {
		st := s.outcome(t, id, 3*time.Minute)
		if st.Outcome != incident.OutcomeResolved || applied(st) != 1 {
			t.Fatalf("%s ended %s (%s) with %d actions; want resolved after acting once", id, st.Outcome, st.Reason, applied(st))
		}
		var from, to time.Time
		for _, e := range st.Timeline {
			if strings.HasPrefix(e.Message, "waiting for the permit of ") && from.IsZero() {
				from = e.At // the slot is granted just before the first permit request
			}
			if strings.HasPrefix(e.Message, "releasing the permit of ") {
				to = e.At
			}
		}
		if from.IsZero() || to.IsZero() {
			t.Fatalf("%s: no permit request and release in the timeline", id)
		}
		spans = append(spans, span{id, from, to})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
	for i := 1; i < len(spans); i++ {
		if spans[i].from.Before(spans[i-1].to) {
			t.Fatalf("%s remediated from %s while %s held the only slot until %s",
				spans[i].id, spans[i].from.Format(time.StampMilli), spans[i-1].id, spans[i-1].to.Format(time.StampMilli))
		}
	}
	t.Logf("%d remediations on %d Deployments took turns for the one engine slot", n, n)
}
