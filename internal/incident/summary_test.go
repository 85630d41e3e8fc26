package incident

import (
	"bytes"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var (
	t0      = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	running = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	done    = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
)

// memoOf encodes values as the workflow's UpsertMemo does (the SDK's
// default data converter).
func memoOf(t *testing.T, kv map[string]any) map[string]*commonpb.Payload {
	t.Helper()
	out := map[string]*commonpb.Payload{}
	for k, v := range kv {
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = p
	}
	return out
}

func TestSummaryFromMemo(t *testing.T) {
	closed := t0.Add(time.Hour)
	tests := []struct {
		name   string
		memo   map[string]any
		status enumspb.WorkflowExecutionStatus
		closed time.Time
		want   Summary
		open   bool
	}{
		{
			name: "escalated, lingering", status: running,
			memo: map[string]any{MemoRunbook: "checkout-errors", MemoService: "checkout", MemoPhase: PhaseAwaitingResolution,
				MemoOutcome: OutcomeEscalated, MemoReason: "diagnosis failed"},
			want: Summary{ID: "id", State: "escalated", Runbook: "checkout-errors", Service: "checkout", Phase: PhaseAwaitingResolution,
				Outcome: OutcomeEscalated, Reason: "diagnosis failed", Status: "running", Started: t0},
		},
		{
			name: "resolved, closed", status: done, closed: closed,
			memo: map[string]any{MemoRunbook: "pool", MemoPhase: PhaseClosed, MemoOutcome: OutcomeResolved, MemoReason: "verified"},
			want: Summary{ID: "id", State: "resolved", Runbook: "pool", Phase: PhaseClosed, Outcome: OutcomeResolved, Reason: "verified",
				Status: "completed", Started: t0, Closed: closed},
		},
		{
			name: "grouped", status: running,
			memo: map[string]any{MemoPhase: PhaseAwaitingResolution, MemoOutcome: OutcomeGrouped, MemoGroupedInto: "storm-1"},
			want: Summary{ID: "id", State: "grouped", Phase: PhaseAwaitingResolution, Outcome: OutcomeGrouped, GroupedInto: "storm-1",
				Status: "running", Started: t0},
		},
		{
			name: "awaiting approval", status: running, open: true,
			memo: map[string]any{MemoPhase: PhaseAwaitingApproval},
			want: Summary{ID: "id", State: "awaiting approval", Phase: PhaseAwaitingApproval, Status: "running", Started: t0},
		},
		{
			name: "terminated while diagnosing", status: enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, closed: closed,
			memo: map[string]any{MemoPhase: PhaseDiagnosing},
			want: Summary{ID: "id", State: "terminated", Phase: PhaseDiagnosing, Status: "terminated", Started: t0, Closed: closed},
		},
		{
			name: "from before the memo, running", status: running, open: true,
			want: Summary{ID: "id", State: "running", Status: "running", Started: t0},
		},
		{
			name: "from before the memo, completed", status: done, closed: closed,
			want: Summary{ID: "id", State: "completed", Status: "completed", Started: t0, Closed: closed},
		},
		{
			name: "values the workflow does not write are ignored", status: running, open: true,
			memo: map[string]any{MemoPhase: 7, "other": "x"},
			want: Summary{ID: "id", State: "running", Status: "running", Started: t0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SummaryFromMemo("id", memoOf(t, tt.memo), tt.status, t0, tt.closed)
			if got != tt.want {
				t.Errorf("SummaryFromMemo =\n %+v\nwant\n %+v", got, tt.want)
			}
			if got.Open() != tt.open {
				t.Errorf("Open() = %t, want %t", got.Open(), tt.open)
			}
		})
	}
	// A payload in another encoding (a codec the CLI did not undo) reads as absent.
	odd := map[string]*commonpb.Payload{MemoPhase: {Metadata: map[string][]byte{"encoding": []byte("binary/encrypted")}, Data: []byte("x")}}
	if s := SummaryFromMemo("id", odd, running, t0, time.Time{}); s.Phase != "" {
		t.Errorf("phase = %q from an encrypted payload, want none", s.Phase)
	}
}

func TestSummaryFromExecution(t *testing.T) {
	e := &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: "pool/6f1c2a9e0b7d4e13", RunId: "r"},
		Status:    running,
		StartTime: timestamppb.New(t0),
		Memo:      &commonpb.Memo{Fields: memoOf(t, map[string]any{MemoPhase: PhaseVerifying, MemoRunbook: "pool"})},
	}
	s := SummaryFromExecution(e)
	if s.ID != "pool/6f1c2a9e0b7d4e13" || s.State != "verifying" || !s.Started.Equal(t0) || !s.Closed.IsZero() {
		t.Errorf("summary = %+v: want the ID, state verifying, the start and no close time (not 1970)", s)
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {42 * time.Second, "42s"}, {5*time.Minute + 59*time.Second, "5m"}, {3*time.Hour + 10*time.Minute, "3h"},
		{47 * time.Hour, "47h"}, {50 * time.Hour, "2d"}, {-time.Minute, "0s"},
	}
	for _, tt := range tests {
		if got := Age(t0, t0.Add(tt.d)); got != tt.want {
			t.Errorf("Age(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if got := Age(time.Time{}, t0); got != "-" {
		t.Errorf("Age of no start = %q, want -", got)
	}
}

// listRows are the list's golden rows: every state the table shows, a
// long decorated reason, and an incident from before the memo.
func listRows(t *testing.T) []Summary {
	now := t0.Add(72 * time.Hour)
	row := func(id string, memo map[string]any, status enumspb.WorkflowExecutionStatus, age time.Duration) Summary {
		return SummaryFromMemo(id, memoOf(t, memo), status, now.Add(-age), time.Time{})
	}
	return []Summary{
		row("checkout-errors/1d0585015cab67c3", map[string]any{MemoRunbook: "checkout-errors", MemoService: "checkout",
			MemoPhase: PhaseAwaitingResolution, MemoOutcome: OutcomeEscalated,
			MemoReason: `diagnosis "error_ratio" failed: ` + devTourError}, running, 42*time.Second),
		row("pool/6f1c2a9e0b7d4e13", map[string]any{MemoRunbook: "pool", MemoService: "demo", MemoPhase: PhaseClosed,
			MemoOutcome: OutcomeResolved, MemoReason: `remediation "grow_pool" verified: value 0.01 below 0.05`}, done, 5*time.Minute),
		row("pool/0a1b2c3d4e5f6071", map[string]any{MemoRunbook: "pool", MemoService: "demo", MemoPhase: PhaseAwaitingApproval},
			running, 3*time.Hour),
		row("pool/77aa0c1e2d3f4051", map[string]any{MemoRunbook: "pool", MemoService: "api", MemoPhase: PhaseAwaitingResolution,
			MemoOutcome: OutcomeGrouped, MemoReason: "grouped into storm-1: diagnosis failed", MemoGroupedInto: "storm-1"}, running, 26*time.Hour),
		row("checkout-errors/9e4d1c0b2a3f5e67", nil, done, 50*time.Hour),
	}
}

func TestWriteListGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteList(&b, listRows(t), t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	golden(t, "list.golden", b.Bytes())
}

// TestClosedByItsAlert: an incident that escalated and then closed when
// its alert resolved lists as resolved, its reason says it escalated, and
// both -outcome resolved and -outcome escalated find it.
func TestClosedByItsAlert(t *testing.T) {
	s := Summary{ID: "checkout-errors/1", Phase: PhaseClosed, Outcome: OutcomeEscalated, Reason: "diagnosis failed", Alert: "resolved", Status: "completed"}
	if got := s.DisplayState(); got != OutcomeResolved {
		t.Errorf("DisplayState = %q, want resolved", got)
	}
	if got := s.ListReason(); got != "escalated: diagnosis failed" {
		t.Errorf("ListReason = %q", got)
	}
	for _, o := range []string{OutcomeResolved, OutcomeEscalated} {
		if !(ListFilter{Outcome: o}).Match(s) {
			t.Errorf("-outcome %s does not match %+v", o, s)
		}
	}
	if (ListFilter{Outcome: OutcomeGrouped}).Match(s) || (ListFilter{Open: true}).Match(s) {
		t.Errorf("-outcome grouped or -open matches %+v", s)
	}
	// Still lingering (no Alert yet): the outcome is the state.
	s.Alert, s.Phase, s.Status = "", PhaseAwaitingResolution, StatusRunning
	if got, reason := s.DisplayState(), s.ListReason(); got != OutcomeEscalated || reason != "diagnosis failed" {
		t.Errorf("lingering: DisplayState %q, ListReason %q", got, reason)
	}
}
