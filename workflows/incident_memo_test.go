package workflows

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/internal/incident"
)

// memoWrites records every UpsertMemo of the workflow under test.
func memoWrites(e *env) *[]map[string]any {
	var ups []map[string]any
	e.OnUpsertMemo(mock.Anything).Run(func(args mock.Arguments) {
		ups = append(ups, args.Get(0).(map[string]any))
	}).Return(nil)
	return &ups
}

// TestListMemoCarriesPhaseThenOutcome runs an incident that escalates
// (no Prometheus configured, the dev tour's incident: the real activity's
// error) and one that resolves, and reads the list view their memos carry
// after each write: the phases in order, then the outcome with its reason,
// then closed; each write changes something, and repeats of the alert
// while the incident lingers write nothing.
func TestListMemoCarriesPhaseThenOutcome(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*env)
		phases    []string // the memo's phase after each write
		outcomeAt int      // the write that adds the outcome
		outcome   string
		reason    string
	}{
		{
			name: "escalated",
			setup: func(e *env) {
				e.prom = func(in diagnose.QueryInput) (diagnose.QueryResult, error) {
					return (&diagnose.Activities{}).PromQuery(context.Background(), in)
				}
			},
			phases:    []string{incident.PhaseDiagnosing, incident.PhaseAwaitingResolution, incident.PhaseClosed},
			outcomeAt: 1,
			outcome:   incident.OutcomeEscalated,
			reason:    `diagnosis "error_ratio" failed: prom query: no prometheus is configured (prometheus-not-configured)`,
		},
		{
			name:  "resolved",
			setup: func(*env) {},
			phases: []string{incident.PhaseDiagnosing, incident.PhaseRemediating, incident.PhaseVerifying,
				incident.PhaseAwaitingResolution, incident.PhaseClosed},
			outcomeAt: 3,
			outcome:   incident.OutcomeResolved,
			reason:    `remediation "grow_pool" verified: value 0.01 below 0.05`,
		},
		{
			// Stopped: no lingering, the outcome and closed in one write.
			name:      "stopped",
			setup:     resolveDuringDiagnosis,
			phases:    []string{incident.PhaseDiagnosing, incident.PhaseClosed},
			outcomeAt: 1,
			outcome:   incident.OutcomeStopped,
			reason:    "alert resolved before the first action",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.setup(e)
			ups := memoWrites(e)
			// Two repeats while the incident lingers (the alert resolves at 30m).
			for _, at := range []time.Duration{10 * time.Minute, 20 * time.Minute} {
				e.RegisterDelayedCallback(func() { e.SignalWorkflow(SignalAlert, firing()) }, at)
			}
			st := e.run(t, Input{IncidentID: "pool/memo", Runbook: pinned(t, "pool.hcl"), Alert: firing()})
			if st.Outcome != tt.outcome {
				t.Fatalf("outcome %s (%s), want %s", st.Outcome, st.Reason, tt.outcome)
			}

			merged := map[string]any{}
			var phases []string
			for i, up := range *ups {
				changed := false
				for k, v := range up {
					changed = changed || merged[k] != v
					merged[k] = v
				}
				if !changed {
					t.Errorf("write %d (%v) changes nothing", i+1, up)
				}
				phases = append(phases, merged[incident.MemoPhase].(string))
				if _, ok := merged[incident.MemoOutcome]; ok != (i >= tt.outcomeAt) {
					t.Errorf("write %d: outcome present = %t, want it from write %d on (memo %v)", i+1, ok, tt.outcomeAt+1, merged)
				}
			}
			if !slices.Equal(phases, tt.phases) {
				t.Fatalf("phases after each write = %q, want %q", phases, tt.phases)
			}
			first := (*ups)[0]
			if first[incident.MemoRunbook] != "pool" || first[incident.MemoService] != "demo" {
				t.Errorf("first write = %v, want the runbook and the alert's service", first)
			}
			reason, _ := merged[incident.MemoReason].(string)
			if reason != tt.reason {
				t.Errorf("memo reason = %q, want %q", reason, tt.reason)
			}
			if len([]rune(reason)) > incident.MemoReasonMax || strings.ContainsAny(reason, "\n\t") {
				t.Errorf("memo reason %q is not one short line", reason)
			}

			// What `incidents list` makes of it.
			fields := map[string]*commonpb.Payload{}
			for k, v := range merged {
				p, err := converter.GetDefaultDataConverter().ToPayload(v)
				if err != nil {
					t.Fatal(err)
				}
				fields[k] = p
			}
			s := incident.SummaryFromMemo("pool/memo", fields, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, st.StartedAt, st.ClosedAt)
			// Every case's alert resolves, so each incident closes resolved
			// in the list, whatever its outcome; the outcome stays.
			if s.State != incident.OutcomeResolved || s.Outcome != tt.outcome || s.Alert != "resolved" ||
				s.Runbook != "pool" || s.Service != "demo" || s.Reason != tt.reason || s.Open() {
				t.Errorf("summary = %+v, want state resolved, outcome %s, of runbook pool, service demo, not open", s, tt.outcome)
			}
			// The alert's resolution rides on the closing write: it adds no
			// write that recorded histories do not have.
			for i, up := range *ups {
				if _, ok := up[incident.MemoAlert]; ok != (i == len(*ups)-1) {
					t.Errorf("write %d of %d carries the alert: %t, want only the last", i+1, len(*ups), ok)
				}
			}
		})
	}
}

// TestListMemoGroupedIntoStorm: an incident of a storm names it.
func TestListMemoGroupedIntoStorm(t *testing.T) {
	e := newEnv(t)
	ups := memoWrites(e)
	e.RegisterDelayedCallback(func() { e.SignalWorkflow(signalStorm, StormNotice{StormID: "storm-1"}) }, 0)
	st := e.run(t, Input{IncidentID: "pool/storm", Runbook: pinned(t, "pool.hcl"), Alert: firing()})
	if st.Outcome != incident.OutcomeGrouped {
		t.Fatalf("outcome = %s (%s), want grouped", st.Outcome, st.Reason)
	}
	merged := map[string]any{}
	for _, up := range *ups {
		for k, v := range up {
			merged[k] = v
		}
	}
	if merged[incident.MemoGroupedInto] != "storm-1" || merged[incident.MemoOutcome] != incident.OutcomeGrouped {
		t.Fatalf("memo = %v, want grouped into storm-1", merged)
	}
}

// TestListMemoNotWrittenForOldIncidents: an incident that started before
// the list memo (GetVersion "list-memo" at DefaultVersion, as when a
// worker replays its history) writes none.
func TestListMemoNotWrittenForOldIncidents(t *testing.T) {
	e := newEnv(t)
	ups := memoWrites(e)
	e.OnGetVersion("list-memo", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	st := e.run(t, Input{IncidentID: "pool/old", Runbook: pinned(t, "pool.hcl"), Alert: firing()})
	if st.Outcome != incident.OutcomeResolved {
		t.Fatalf("outcome = %s (%s), want resolved", st.Outcome, st.Reason)
	}
	if len(*ups) != 0 {
		t.Fatalf("memo written %d times, want never: %v", len(*ups), *ups)
	}
}
