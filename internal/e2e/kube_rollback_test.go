package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/examples/bad-deploy/simapp"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/workflows"
)

// The bad-deploy scenario (examples/bad-deploy) on real servers: a
// kube-apiserver with its controller-manager, scheduler and kwok
// (testutil.SharedKube), the scenario's simulated service reading the
// Deployment through the API and failing 40% of the requests its bad pods
// serve, a real Prometheus scraping it and evaluating the example's alert
// rule, and firebreak on an embedded Temporal server.

const (
	bdService   = "checkout" // the Deployment's name and the service label
	bdGoodImage = "good:1"
	bdBadImage  = "bad:2"
	bdBadImage2 = "bad:3"
	bdAlert     = "ServiceHighErrorRate"
)

// bdScenario is one test's namespace, simulated service, Prometheus and
// engine.
type bdScenario struct {
	kube *testutil.Kube
	ns   string
	app  *simapp.App
	prom *testutil.Prometheus
	eng  *engine.Engine
}

// startBadDeploy creates the Deployment at image with replicas, and starts
// the simulated service, Prometheus (with the example's rules) and an
// engine with the runbooks in runbookDir.
func startBadDeploy(t *testing.T, runbookDir, image string, replicas int32) *bdScenario {
	t.Helper()
	kube := testutil.SharedKube(t)
	s := &bdScenario{kube: kube, ns: kube.Namespace(t, "bad-deploy")}
	kube.CreateDeployment(t, s.ns, bdService, replicas, image)
	kube.WaitDeploymentReady(t, s.ns, bdService, replicas)

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := simapp.New(simapp.Config{
		Client: kube.Client, Namespace: s.ns, Deployment: bdService, BadImages: []string{bdBadImage, bdBadImage2},
		RPS: 100, Refresh: 200 * time.Millisecond, Log: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.app = app
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { _ = app.Serve(ctx, ln); close(served) }()
	t.Cleanup(func() { cancel(); <-served })

	rules, err := os.ReadFile(filepath.Join(repoRoot, "examples", "bad-deploy", "prometheus", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	s.prom = testutil.StartPrometheus(t, testutil.PrometheusOptions{
		ScrapeTargets: []string{ln.Addr().String()},
		RuleFiles:     map[string]string{"rules.yml": string(rules)},
	})
	srv := devservertest.StartForTest(t)
	s.eng = startEngine(t, srv, engine.Options{
		Runbooks:          loadRunbooks(t, runbookDir),
		PrometheusURL:     s.prom.URL,
		PrometheusTimeout: 5 * time.Second,
		Kube:              kube.Client,
		RecordPath:        filepath.Join(t.TempDir(), "escalations.jsonl"),
		Settings:          workflows.Settings{Linger: 10 * time.Minute},
	})
	return s
}

// bdDeployment is what the tests check of the Deployment.
type bdDeployment struct {
	Image       string
	Revision    string
	Generation  int64
	Replicas    int32
	ReplicaSets []string // "revision=image", sorted
}

func (s *bdScenario) deployment(t *testing.T) bdDeployment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := s.kube.Client.AppsV1().Deployments(s.ns).Get(ctx, bdService, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := bdDeployment{
		Image: d.Spec.Template.Spec.Containers[0].Image, Revision: d.Annotations["deployment.kubernetes.io/revision"],
		Generation: d.Generation, Replicas: *d.Spec.Replicas,
	}
	rss, err := s.kube.Client.AppsV1().ReplicaSets(s.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + bdService})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range rss.Items {
		out.ReplicaSets = append(out.ReplicaSets, rs.Annotations["deployment.kubernetes.io/revision"]+"="+rs.Spec.Template.Spec.Containers[0].Image)
	}
	sort.Strings(out.ReplicaSets)
	return out
}

// setImage rolls the Deployment out to image, as `kubectl set image` would.
func (s *bdScenario) setImage(t *testing.T, image string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	deps := s.kube.Client.AppsV1().Deployments(s.ns)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := deps.Get(ctx, bdService, metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Template.Spec.Containers[0].Image = image
		_, err = deps.Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("set image %s: %v", image, err)
	}
}

// promAlert is one alert of Prometheus' /api/v1/alerts; EndsAt is set to
// post it as resolved.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	ActiveAt    time.Time         `json:"activeAt"`
	EndsAt      time.Time         `json:"-"`
}

// alert returns the example rule's alert for this namespace's service as
// Prometheus evaluates it now; ok is false when there is none.
func (s *bdScenario) alert() (a promAlert, ok bool, err error) {
	resp, err := http.Get(s.prom.URL + "/api/v1/alerts")
	if err != nil {
		return a, false, err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return a, false, err
	}
	for _, a := range body.Data.Alerts {
		if a.Labels["alertname"] == bdAlert && a.Labels["namespace"] == s.ns && a.Labels["service"] == bdService {
			return a, true, nil
		}
	}
	return a, false, nil
}

// alertState is the alert's state ("pending", "firing"), or "" when
// Prometheus has none.
func (s *bdScenario) alertState(t *testing.T) string {
	t.Helper()
	a, ok, err := s.alert()
	if err != nil {
		t.Fatalf("prometheus alerts: %v", err)
	}
	if !ok {
		return ""
	}
	return a.State
}

// waitFiring waits until Prometheus evaluates the example's rule as firing
// for this namespace's service, and returns the alert.
func (s *bdScenario) waitFiring(t *testing.T) promAlert {
	t.Helper()
	var found promAlert
	testutil.PollUntil(t, 60*time.Second, bdAlert+" firing in Prometheus for "+s.ns, func() (bool, error) {
		a, ok, err := s.alert()
		if err != nil || !ok {
			ready, bad := s.app.Status().Serving()
			return false, fmt.Errorf("no alert yet (%v); the service sees %d Ready pods, %d of them bad", err, ready, bad)
		}
		found = a
		return a.State == "firing", fmt.Errorf("alert %s", a.State)
	})
	return found
}

// fire posts the alert to firebreak's webhook as Alertmanager would
// (resolved when a.EndsAt is set) and returns the incident ID.
func (s *bdScenario) fire(t *testing.T, a promAlert) string {
	t.Helper()
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, a.Labels[k])
	}
	status, endsAt := "firing", "0001-01-01T00:00:00Z"
	if !a.EndsAt.IsZero() {
		status, endsAt = "resolved", a.EndsAt.UTC().Format(time.RFC3339Nano)
	}
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": status, "receiver": "firebreak",
		"groupKey": fmt.Sprintf("{}:{alertname=%q, namespace=%q, service=%q}", bdAlert, s.ns, bdService),
		"alerts": []map[string]any{{
			"status": status, "labels": a.Labels, "annotations": a.Annotations,
			"startsAt": a.ActiveAt.UTC().Format(time.RFC3339Nano), "endsAt": endsAt,
			"fingerprint": hex.EncodeToString(h.Sum(nil))[:16],
		}},
	})
	ans := post(t, "http://"+s.eng.Addr()+"/webhook/alertmanager", body)
	if ans.code != http.StatusOK || len(ans.body.IncidentIDs) != 1 {
		t.Fatalf("webhook answered %d: %s", ans.code, ans.raw)
	}
	return ans.body.IncidentIDs[0]
}

// TestBadDeployRollsBack runs the example's runbook: a rollout to a bad
// image makes the error ratio page, the runbook sees a young rollout and a
// high error ratio, rolls the Deployment back, and verification passes.
func TestBadDeployRollsBack(t *testing.T) {
	start := time.Now()
	s := startBadDeploy(t, filepath.Join(repoRoot, "examples", "bad-deploy", "runbooks"), bdGoodImage, 3)
	t.Logf("cluster, service, Prometheus and engine up after %s", time.Since(start).Round(time.Millisecond))

	s.setImage(t, bdBadImage)
	s.kube.WaitDeploymentReady(t, s.ns, bdService, 3)
	before := s.deployment(t)
	if before.Image != bdBadImage || before.Revision != "2" || len(before.ReplicaSets) != 2 {
		t.Fatalf("after the bad rollout: %+v, want revision 2 at %s with 2 ReplicaSets", before, bdBadImage)
	}
	deployed := time.Now()
	alert := s.waitFiring(t)
	t.Logf("%s firing %s after the rollout completed", bdAlert, time.Since(deployed).Round(time.Millisecond))

	fired := time.Now()
	id := s.fire(t, alert)
	st := waitOutcome(t, s.eng.Client(), id, 2*time.Minute)
	t.Logf("outcome %s %s after the webhook: %s", st.Outcome, time.Since(fired).Round(time.Millisecond), st.Reason)
	if st.Outcome != incident.OutcomeResolved || st.Verification != "passed" {
		t.Fatalf("outcome %s (verification %q): %s\n%s", st.Outcome, st.Verification, st.Reason, timeline(st))
	}
	if st.Remediation != "bad_deploy" {
		t.Fatalf("remediation %q, want bad_deploy\n%s", st.Remediation, timeline(st))
	}

	// The diagnosis saw the young revision 2 and the error ratio.
	diag := map[string]incident.DiagnosisRecord{}
	for _, d := range st.Diagnosis {
		diag[d.Name] = d
	}
	if r := diag["rollout"]; !r.Found || !strings.Contains(r.Summary, "revision 2") || !strings.Contains(r.Summary, bdBadImage) || !strings.Contains(r.Summary, "rolled out") {
		t.Fatalf("rollout diagnosis = %+v", r)
	}
	if r := diag["error_ratio"]; !r.Found || r.Value <= 0.1 {
		t.Fatalf("error_ratio diagnosis = %+v, want above 0.1", r)
	}

	// One rollback, recorded with both images, not restored.
	if len(st.Actions) != 1 {
		t.Fatalf("actions = %+v, want one", st.Actions)
	}
	a := st.Actions[0]
	if a.Kind != "kubernetes_rollback" || !a.Applied || !a.Changed || a.Restored || a.DryRun || a.Error != "" {
		t.Fatalf("action = %+v, want one applied rollback", a)
	}
	if !strings.Contains(a.Before, bdBadImage) || !strings.Contains(a.After, bdGoodImage) {
		t.Fatalf("action record Before %q / After %q do not name %s and %s", a.Before, a.After, bdBadImage, bdGoodImage)
	}
	if want := "kubernetes/deployment/" + s.ns + "/" + bdService; a.Target != want {
		t.Fatalf("action target %q, want %q", a.Target, want)
	}

	// The Deployment is back at the good image: one template change, one
	// new revision (3), and the old ReplicaSet reused rather than a new one.
	after := s.deployment(t)
	if after.Image != bdGoodImage || after.Revision != "3" || after.Generation != before.Generation+1 {
		t.Fatalf("after the rollback: %+v (before %+v), want revision 3 at %s after one change", after, before, bdGoodImage)
	}
	if got, want := strings.Join(after.ReplicaSets, " "), "2="+bdBadImage+" 3="+bdGoodImage; got != want {
		t.Fatalf("ReplicaSets %s, want %s", got, want)
	}
	if ready, bad := s.app.Status().Serving(); ready != 3 || bad != 0 {
		t.Fatalf("the service sees %d Ready pods, %d bad; want 3 good", ready, bad)
	}
	if len(st.Escalations) != 0 {
		t.Fatalf("a resolved incident escalated: %+v", st.Escalations)
	}

	// A second bad deploy within the runbook's cooldown (30m, and at most
	// one action per 2h) is not rolled back: people get it. The first
	// incident closes when its alert resolves; the next alert opens a new
	// run under the same incident ID.
	testutil.PollUntil(t, time.Minute, bdAlert+" inactive after the rollback", func() (bool, error) {
		return s.alertState(t) == "", nil
	})
	resolved := alert
	resolved.EndsAt = time.Now()
	s.fire(t, resolved)
	waitClosed(t, s.eng.Client(), id, time.Minute)
	s.setImage(t, bdBadImage2)
	s.kube.WaitDeploymentReady(t, s.ns, bdService, 3)
	second := s.deployment(t)
	if id2 := s.fire(t, s.waitFiring(t)); id2 != id {
		t.Fatalf("second incident %s, want a new run of %s", id2, id)
	}
	st = waitOutcome(t, s.eng.Client(), id, time.Minute)
	if st.Outcome != incident.OutcomeEscalated || !strings.Contains(st.Reason, "cooldown") || len(st.Actions) != 0 {
		t.Fatalf("second bad deploy: outcome %s: %s; actions %+v; want escalated by the cooldown without acting\n%s",
			st.Outcome, st.Reason, st.Actions, timeline(st))
	}
	if now := s.deployment(t); now.Generation != second.Generation || now.Image != bdBadImage2 {
		t.Fatalf("the Deployment changed after a refused permit: %+v, was %+v", now, second)
	}
	t.Logf("second bad deploy escalated: %s", st.Reason)
	t.Logf("whole test %s", time.Since(start).Round(time.Millisecond))
}

// TestFailedVerificationRestores scales a Deployment whose image is bad: one
// more bad replica fails as often, verification fails, and rollback = true
// puts spec.replicas back before escalating.
func TestFailedVerificationRestores(t *testing.T) {
	start := time.Now()
	s := startBadDeploy(t, filepath.Join("testdata", "runbooks", "kube-rollback"), bdBadImage, 2)
	before := s.deployment(t)
	alert := s.waitFiring(t)

	fired := time.Now()
	id := s.fire(t, alert)
	st := waitOutcome(t, s.eng.Client(), id, 2*time.Minute)
	t.Logf("outcome %s %s after the webhook: %s", st.Outcome, time.Since(fired).Round(time.Millisecond), st.Reason)
	if st.Outcome != incident.OutcomeEscalated || st.Verification != "failed" {
		t.Fatalf("outcome %s (verification %q): %s\n%s", st.Outcome, st.Verification, st.Reason, timeline(st))
	}
	if !strings.Contains(st.Reason, "verification failed") || !strings.Contains(st.Reason, "rolled back scale") {
		t.Fatalf("reason %q does not say verification failed and the scale was rolled back\n%s", st.Reason, timeline(st))
	}
	if len(st.Actions) != 1 {
		t.Fatalf("actions = %+v, want one", st.Actions)
	}
	a := st.Actions[0]
	if a.Kind != "kubernetes_scale" || !a.Applied || !a.Changed || !a.Restored || a.RestoreError != "" ||
		a.Prior != 2 || a.Planned != 3 || a.Before != "replicas 2" || a.After != "replicas 3" {
		t.Fatalf("action = %+v, want 2 -> 3 applied and restored", a)
	}
	after := s.deployment(t)
	if after.Replicas != before.Replicas || after.Replicas != 2 {
		t.Fatalf("spec.replicas %d after the restore, want %d", after.Replicas, before.Replicas)
	}
	// Scaled, then restored: two changes, and the template never touched.
	if after.Generation != before.Generation+2 || after.Image != bdBadImage || after.Revision != before.Revision {
		t.Fatalf("after the restore: %+v (before %+v), want two replica changes and the same template", after, before)
	}
	if len(st.Escalations) == 0 {
		t.Fatalf("no escalation recorded\n%s", timeline(st))
	}
	t.Logf("whole test %s", time.Since(start).Round(time.Millisecond))
}
