package incident

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
)

// Summary is one row of `firebreak incidents list`: what the incident's
// memo says (see ListView) and what Temporal's visibility says about its
// execution. Incidents started before the workflow kept a memo have only
// the latter.
type Summary struct {
	ID string `json:"id"`
	// State is what people read first: the outcome once there is one, else
	// the phase, else (no memo, or an execution that ended without an
	// outcome) Temporal's status. See DisplayState.
	State       string `json:"state"`
	Runbook     string `json:"runbook,omitempty"`
	Service     string `json:"service,omitempty"`
	Phase       string `json:"phase,omitempty"`
	Outcome     string `json:"outcome,omitempty"`
	Reason      string `json:"reason,omitempty"`
	GroupedInto string `json:"grouped_into,omitempty"`
	// Alert is "resolved" when the incident closed because its alert
	// resolved (see MemoAlert).
	Alert string `json:"alert,omitempty"`
	// Status is the workflow execution's status in Temporal (running,
	// completed, terminated, ...): an incident lingers running after its
	// outcome, waiting for its alert to resolve.
	Status  string    `json:"status"`
	Started time.Time `json:"started"`
	Closed  time.Time `json:"closed,omitzero"`
}

// StatusRunning is StatusName of a running execution.
const StatusRunning = "running"

// StatusName is a workflow execution status as the views print it:
// "running", "completed", "timed_out"...
func StatusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

// SummaryFromExecution is the Summary of one execution that Temporal's
// visibility API listed (ListWorkflowExecutionsResponse.Executions).
func SummaryFromExecution(e *workflowpb.WorkflowExecutionInfo) Summary {
	var started, closed time.Time
	// AsTime of a nil timestamp is 1970, not the zero time.
	if t := e.GetStartTime(); t != nil {
		started = t.AsTime()
	}
	if t := e.GetCloseTime(); t != nil {
		closed = t.AsTime()
	}
	return SummaryFromMemo(e.GetExecution().GetWorkflowId(), e.GetMemo().GetFields(), e.GetStatus(), started, closed)
}

// SummaryFromMemo builds the Summary of incident id from its memo fields
// (nil or empty for incidents that started before the memo), its
// execution status and its start and close times (zero while running).
// Memo values are read in the default data converter's json/plain
// encoding, the one the workflow writes them in; fields it does not know
// or cannot read are ignored.
func SummaryFromMemo(id string, memo map[string]*commonpb.Payload, status enumspb.WorkflowExecutionStatus, started, closed time.Time) Summary {
	s := Summary{
		ID:          id,
		Runbook:     memoString(memo[MemoRunbook]),
		Service:     memoString(memo[MemoService]),
		Phase:       memoString(memo[MemoPhase]),
		Outcome:     memoString(memo[MemoOutcome]),
		Reason:      memoString(memo[MemoReason]),
		GroupedInto: memoString(memo[MemoGroupedInto]),
		Alert:       memoString(memo[MemoAlert]),
		Status:      StatusName(status),
		Started:     started,
		Closed:      closed,
	}
	s.State = s.DisplayState()
	return s
}

// memoString decodes one memo field written as a string, or "".
func memoString(p *commonpb.Payload) string {
	if p == nil || string(p.GetMetadata()["encoding"]) != "json/plain" {
		return ""
	}
	var s string
	if err := json.Unmarshal(p.GetData(), &s); err != nil {
		return ""
	}
	return s
}

// DisplayState is the state a person reads: resolved once the incident
// closed because its alert resolved; the outcome (resolved, escalated,
// stopped, grouped) once there is one; otherwise the phase in
// words (diagnosing, remediating, awaiting approval, verifying,
// escalating); and Temporal's status when the memo has no phase (an
// incident from before the memo) or the execution ended without an
// outcome (terminated, timed out, failed).
func (s Summary) DisplayState() string {
	switch {
	case s.Alert == "resolved":
		// Closed because its alert resolved: whatever firebreak's outcome
		// was (escalated to people, grouped into a storm, stopped), the
		// incident is over, and that is what a list reader asks first. The
		// outcome stays in the reason (ListReason) and in -json.
		return OutcomeResolved
	case s.Outcome != "":
		return s.Outcome
	case s.Phase != "" && (s.Status == "" || s.Status == StatusRunning):
		return strings.ReplaceAll(s.Phase, "_", " ")
	case s.Status != "":
		return s.Status
	}
	return "-"
}

// Open says the incident has no outcome yet and is still running. An
// incident keeps running after its outcome (waiting for its alert to
// resolve) without being open; one from before the memo counts as open
// while it runs, since nothing says otherwise.
func (s Summary) Open() bool {
	return s.Outcome == "" && (s.Status == "" || s.Status == StatusRunning)
}

// listReasonMax bounds the REASON column of WriteList, in characters.
const listReasonMax = 72

// WriteList prints rows as the table of `firebreak incidents list`:
// ID, STATE, REASON (shortened), RUNBOOK, SERVICE and AGE (time since the
// incident started, at now). A value the memo does not have (incidents
// from before it have none) prints as "-".
func WriteList(w io.Writer, rows []Summary, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tREASON\tRUNBOOK\tSERVICE\tAGE")
	for _, r := range rows {
		reason := Shorten(OneLine(r.ListReason()), listReasonMax)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(r.ID), cell(r.DisplayState()), cell(reason),
			cell(r.Runbook), cell(Shorten(r.Service, 40)), Age(r.Started, now))
	}
	return tw.Flush()
}

// ListReason is the REASON of the list: the outcome's reason, prefixed by
// the outcome when the state shown is not that outcome (an incident
// escalated, then closed when its alert resolved, reads "escalated: …").
func (s Summary) ListReason() string {
	reason := HumanText(s.Reason)
	if s.Outcome != "" && s.Outcome != s.DisplayState() {
		if reason == "" {
			return s.Outcome
		}
		return s.Outcome + ": " + reason
	}
	return reason
}

// cell is a table cell: one line, no tabs, "-" when empty.
func cell(s string) string {
	if s = OneLine(s); s == "" {
		return "-"
	}
	return s
}

// Age is the time from start to now in one unit, rounded down, as people
// say it: 42s, 5m, 3h (up to two days), 2d. A zero start is "-"; a start after now (a
// clock ahead of this one) is 0s.
func Age(start, now time.Time) string {
	if start.IsZero() {
		return "-"
	}
	d := max(now.Sub(start), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}
