package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// TestTargetLedger drives the per-target ledger through the guardrails it
// enforces across incidents: one permit at a time in request order, the
// cooldown after an action, the action budget per window, a lease for a
// holder that never releases, and duplicate requests.
func TestTargetLedger(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Target, workflow.RegisterOptions{Name: TargetWorkflowName})

	type answer struct {
		incident string
		permit   Permit
		at       time.Duration
	}
	var answers []answer
	start := time.Time{}
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, signalPermit, mock.Anything).Return(
		func(_, workflowID, _, _ string, arg interface{}) error {
			if start.IsZero() {
				start = env.Now()
			}
			answers = append(answers, answer{incident: workflowID, permit: arg.(Permit), at: env.Now().Sub(start)})
			return nil
		})

	req := func(id string) PermitRequest {
		return PermitRequest{Target: "pgbouncer/admin/demo", IncidentID: id, WorkflowID: id, Runbook: "pool",
			Cooldown: 10 * time.Minute, MaxActions: 2, Window: time.Hour, Lease: 20 * time.Minute}
	}
	at := func(d time.Duration, f func()) { env.RegisterDelayedCallback(f, d) }
	acquire := func(id string) func() { return func() { env.SignalWorkflow(signalAcquire, req(id)) } }
	release := func(id string, acted ...time.Duration) func() {
		return func() {
			var times []time.Time
			for range acted {
				times = append(times, env.Now())
			}
			env.SignalWorkflow(signalRelease, Release{IncidentID: id, ActedAt: times})
		}
	}

	at(0, acquire("a"))                             // granted (SignalWithStart delivers it with the start)
	at(2*time.Second, acquire("b"))                 // waits behind a
	at(3*time.Second, acquire("a"))                 // a retried request: answered again, not queued
	at(4*time.Second, release("a", 0))              // a acted: b is now in cooldown → refused
	at(15*time.Minute, acquire("c"))                // cooldown over: granted
	at(15*time.Minute+time.Second, release("c", 0)) // second action within the hour
	at(30*time.Minute, acquire("d"))                // cooldown over, but 2 actions in the hour → refused
	at(70*time.Minute, acquire("e"))                // a's action left the hour: 1 of 2 in the window, granted
	// e never releases: its 20m lease frees the target for f.
	at(71*time.Minute, acquire("f"))

	env.ExecuteWorkflow(TargetWorkflowName, TargetInput{Target: "pgbouncer/admin/demo"}, (*TargetState)(nil))
	if !env.IsWorkflowCompleted() {
		t.Fatal("the ledger did not end once nothing was held or remembered")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		incident string
		granted  bool
		reason   string
	}{
		{"a", true, ""},
		{"a", true, ""},
		{"b", false, "cooldown"},
		{"c", true, ""},
		{"d", false, "had 2 actions"},
		{"e", true, ""},
		{"f", true, ""},
	}
	if len(answers) != len(want) {
		t.Fatalf("answers = %+v, want %d", answers, len(want))
	}
	for i, w := range want {
		got := answers[i]
		if got.incident != w.incident || got.permit.Granted != w.granted || !strings.Contains(got.permit.Reason, w.reason) {
			t.Errorf("answer %d = %s %+v, want %s granted=%t reason~%q", i, got.incident, got.permit, w.incident, w.granted, w.reason)
		}
	}
	// f waited for e's lease (20m from 70m), not for e to release.
	if f := answers[len(answers)-1]; f.at < 89*time.Minute {
		t.Errorf("f granted at %s, before e's lease ended", f.at)
	}
}

// TestTargetWithdrawnRequest: an incident that stopped waiting (its
// busy_timeout passed) withdraws its queued request with a release, so
// when the holder leaves the ledger grants nothing to it and ends idle
// instead of holding the target for a permit nobody uses.
func TestTargetWithdrawnRequest(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Target, workflow.RegisterOptions{Name: TargetWorkflowName})
	answers := map[string]int{}
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, signalPermit, mock.Anything).Return(
		func(_, workflowID, _, _ string, arg interface{}) error {
			answers[workflowID]++
			return nil
		})
	req := func(id string) PermitRequest {
		return PermitRequest{Target: "kubernetes/deployment/shop/api", IncidentID: id, WorkflowID: id, Runbook: "rb",
			MaxActions: 10, Window: time.Hour, Lease: 20 * time.Minute}
	}
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalAcquire, req("a")) }, 0)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalAcquire, req("b")) }, time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalRelease, Release{IncidentID: "b"}) }, 5*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalRelease, Release{IncidentID: "a"}) }, 6*time.Minute)
	env.ExecuteWorkflow(TargetWorkflowName, TargetInput{Target: "kubernetes/deployment/shop/api"}, (*TargetState)(nil))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if answers["a"] != 1 || answers["b"] != 0 {
		t.Fatalf("answers = %v, want a granted once and nothing for the withdrawn b", answers)
	}
}
