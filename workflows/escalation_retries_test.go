package workflows

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
	"github.com/firebreak-dev/firebreak/remediate"
)

// TestEscalationStepIsOneRetryLayer drives one escalation step to a
// PagerDuty that answers 503 to every event, with the real escalate
// activity and the real PagerDuty client pointed at the contract server,
// and the workflow's own step loop between attempts (in virtual time, so
// its 2 s…1 min backoff costs nothing). Temporal's recorded attempts are
// the one retry layer: the server must see exactly escalationAttempts
// POSTs, the number docs/escalation.md's retry table gives for a step,
// not that times the client's own attempts.
func TestEscalationStepIsOneRetryLayer(t *testing.T) {
	pd := pdserver.Start(t)
	pd.FailNext(1000, http.StatusServiceUnavailable)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pc, err := pagerduty.New(pagerduty.Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: pd.URL}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	real := &escalate.Activities{Pager: &escalate.PagerDutyPager{Default: pc}, Log: quiet}
	e := envWithEscalation(t, real)
	st := e.run(t, Input{IncidentID: "pool-paged/1", Runbook: pinned(t, "pool-paged.hcl"), Alert: firing()})
	if st.Outcome != incident.OutcomeEscalated {
		t.Fatalf("outcome = %s (%s), want escalated", st.Outcome, st.Reason)
	}
	var rec incident.EscalationRecord
	for _, r := range st.Escalations {
		if r.Sink == "pagerduty" {
			rec = r
		}
	}
	if rec.Delivered || rec.Attempts != escalationAttempts {
		t.Fatalf("pagerduty step = %+v, want %d failed attempts", rec, escalationAttempts)
	}
	posts := 0
	for _, ev := range pd.Events() {
		if ev.Action == "trigger" {
			posts++
		}
	}
	t.Logf("PagerDuty received %d trigger POSTs for one escalation step of %d attempts", posts, escalationAttempts)
	if posts != escalationAttempts {
		t.Fatalf("PagerDuty received %d POSTs for one step, want %d (one per recorded attempt)", posts, escalationAttempts)
	}
}

// TestEscalationStepHonoursRetryAfter: a PagerDuty that throttles every
// event with Retry-After: 30 makes the step loop wait 30 s between
// attempts (instead of its 2 s, 4 s, … backoff), still 6 attempts, one
// POST each.
func TestEscalationStepHonoursRetryAfter(t *testing.T) {
	pd := pdserver.Start(t)
	pd.FailNext(1000, http.StatusTooManyRequests)
	pd.SetRetryAfter(30 * time.Second)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pc, err := pagerduty.New(pagerduty.Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: pd.URL}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	e := envWithEscalation(t, &escalate.Activities{Pager: &escalate.PagerDutyPager{Default: pc}, Log: quiet})
	st := e.run(t, Input{IncidentID: "pool-paged/2", Runbook: pinned(t, "pool-paged.hcl"), Alert: firing()})
	var failed []time.Time
	for _, ev := range st.Timeline {
		if ev.Kind == "escalate" && strings.HasPrefix(ev.Message, "pagerduty attempt ") {
			failed = append(failed, ev.At)
		}
	}
	if len(failed) != escalationAttempts || len(pd.Events()) != escalationAttempts {
		t.Fatalf("%d failed attempts recorded, %d POSTs; want %d each", len(failed), len(pd.Events()), escalationAttempts)
	}
	for i := 1; i < len(failed); i++ {
		// The backoff alone would be 2 s, 4 s, 8 s, 16 s, 32 s.
		if gap := failed[i].Sub(failed[i-1]); gap < 30*time.Second {
			t.Errorf("attempt %d came %s after the one before; PagerDuty asked for 30s", i+1, gap)
		}
	}
}

// envWithEscalation is newEnv's environment with the real escalation
// activities acts instead of mocks: the diagnosis finds timeouts, the pool
// reads 2 and sets succeed, every permit and slot is granted at once, and
// the alert resolves 30 minutes in.
func envWithEscalation(t *testing.T, acts *escalate.Activities) *env {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	e := &env{TestWorkflowEnvironment: s.NewTestWorkflowEnvironment(), prom: healthyProm}
	// Real activities take real time (the clients' HTTP calls).
	e.SetTestTimeout(2 * time.Minute)
	e.RegisterWorkflowWithOptions(Incident, workflow.RegisterOptions{Name: IncidentWorkflowName})
	e.RegisterActivity(&diagnose.Activities{})
	e.RegisterActivity(&remediate.Activities{})
	e.RegisterActivity(acts)
	e.RegisterActivity(&Recorder{})
	e.RegisterActivity(&Permits{})
	e.OnActivity("PromQuery", mock.Anything, mock.Anything).Return(func(_ context.Context, in diagnose.QueryInput) (diagnose.QueryResult, error) {
		return e.prom(in)
	}).Maybe()
	e.OnActivity("PgBouncerPoolRead", mock.Anything, mock.Anything).Return(remediate.PoolState{Database: "demo", DefaultPoolSize: 2, PoolSize: 2}, nil).Maybe()
	e.OnActivity("PgBouncerPoolSet", mock.Anything, mock.Anything).Return(func(_ context.Context, in remediate.PoolSetInput) (remediate.PoolSetResult, error) {
		return remediate.PoolSetResult{Database: in.Database, Prior: 2, Size: in.Size, Changed: true}, nil
	}).Maybe()
	grant := func(target string) error {
		e.RegisterDelayedCallback(func() { e.SignalWorkflow(signalPermit, Permit{Target: target, Granted: true}) }, time.Millisecond)
		return nil
	}
	e.OnActivity("RequestPermit", mock.Anything, mock.Anything).Return(func(_ context.Context, req PermitRequest) error {
		return grant(req.Target)
	}).Maybe()
	e.OnActivity("RequestSlot", mock.Anything, mock.Anything).Return(func(context.Context, SlotRequest) error {
		return grant(ControlTarget)
	}).Maybe()
	e.OnActivity("ReportOpened", mock.Anything, mock.Anything).Return(nil).Maybe()
	e.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	e.RegisterDelayedCallback(func() {
		a := firing()
		a.Status = "resolved"
		e.SignalWorkflow(SignalAlert, a)
	}, 30*time.Minute)
	return e
}
