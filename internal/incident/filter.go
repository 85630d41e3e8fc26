package incident

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ListFilter is what `firebreak incidents list` narrows the list to. Query
// builds the visibility query that narrows it on the server as far as
// visibility can (the memo is not searchable); Match decides the rest for
// each listed incident. A zero ListFilter keeps every incident.
type ListFilter struct {
	// Outcome keeps incidents whose DisplayState or outcome is this: an outcome
	// (resolved, escalated, stopped, grouped), a phase of an incident
	// without one (diagnosing, remediating, awaiting approval, verifying,
	// escalating) or, for incidents without a memo or that ended without
	// an outcome, Temporal's status (running, completed, terminated...).
	Outcome string
	// Runbook keeps the incidents of one runbook.
	Runbook string
	// Open keeps incidents without an outcome yet (see Summary.Open).
	Open bool
}

// Outcomes lists every outcome an incident can reach.
var Outcomes = []string{OutcomeResolved, OutcomeEscalated, OutcomeStopped, OutcomeGrouped}

// phaseStates are the DisplayStates of incidents without an outcome, in
// the order an incident passes through them.
var phaseStates = []string{"diagnosing", "remediating", "awaiting approval", "verifying", "escalating"}

// statusStates are the DisplayStates taken from Temporal, each with its
// name in a visibility query's ExecutionStatus.
var statusStates = []struct{ state, query string }{
	{"running", "Running"},
	{"completed", "Completed"},
	{"failed", "Failed"},
	{"canceled", "Canceled"},
	{"terminated", "Terminated"},
	{"timed_out", "TimedOut"},
	{"paused", "Paused"},
}

// runbookName is the shape runbooks accept for a runbook's name
// (runbookNamePattern in runbooks/parse.go; a test keeps the two the
// same). Such a name needs no quoting in a visibility query, so anything
// else is refused instead of escaped.
var runbookName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// workflowTypeName is the shape of a workflow type the query may name.
var workflowTypeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// FilterStates lists every value ListFilter.Outcome accepts, as people
// read them in the list's STATE column: the outcomes, then the phase
// states, then Temporal's statuses (for a flag's help).
func FilterStates() []string {
	out := slices.Concat(Outcomes, phaseStates)
	for _, s := range statusStates {
		out = append(out, s.state)
	}
	return out
}

// canonState folds the spellings of a state people may type
// ("awaiting_approval", "Awaiting-Approval", "timed out") into one.
func canonState(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == '_' || r == '-' || r == ' ' }), " ")
}

// kind says what Outcome names: an outcome, a phase state or a status
// (with its query name), or nothing known.
func (f ListFilter) kind() (outcome, phase bool, status string, ok bool) {
	c := canonState(f.Outcome)
	if slices.Contains(Outcomes, c) {
		return true, false, "", true
	}
	if slices.Contains(phaseStates, c) {
		return false, true, "", true
	}
	for _, s := range statusStates {
		if canonState(s.state) == c {
			return false, false, s.query, true
		}
	}
	return false, false, "", false
}

// Validate reports a filter that cannot mean anything: an unknown
// -outcome (the error lists the known ones), a runbook name runbooks
// would not accept, or -open with a state that has an outcome or has
// ended.
func (f ListFilter) Validate() error {
	if f.Runbook != "" && !runbookName.MatchString(f.Runbook) {
		return fmt.Errorf("runbook %q: not a runbook name (letters, digits, '_', '.', '-', starting with a letter or digit, at most 128)", f.Runbook)
	}
	if f.Outcome == "" {
		return nil
	}
	outcome, _, status, ok := f.kind()
	if !ok {
		statuses := make([]string, 0, len(statusStates))
		for _, s := range statusStates {
			statuses = append(statuses, s.state)
		}
		return fmt.Errorf("unknown outcome %q: want an outcome (%s), the state of an incident without one (%s) or a Temporal status (%s)",
			f.Outcome, strings.Join(Outcomes, ", "), strings.Join(phaseStates, ", "), strings.Join(statuses, ", "))
	}
	if f.Open && (outcome || (status != "" && status != "Running")) {
		return fmt.Errorf("-open lists incidents without an outcome that are still running; %q is never one", f.Outcome)
	}
	return nil
}

// Query is the visibility query listing the incidents f may keep:
// executions of workflowType (the Incident workflow's registered name,
// workflows.IncidentWorkflowName), of f.Runbook's incidents (incident IDs
// are "<runbook>/<hash>", see docs/incidents.md), and running ones when
// only a running incident can match. It narrows, never widens: Match
// still decides every listed incident.
func (f ListFilter) Query(workflowType string) (string, error) {
	if !workflowTypeName.MatchString(workflowType) {
		return "", fmt.Errorf("workflow type %q: not a workflow type name", workflowType)
	}
	if err := f.Validate(); err != nil {
		return "", err
	}
	q := "WorkflowType = '" + workflowType + "'"
	if f.Runbook != "" {
		q += " AND WorkflowId STARTS_WITH '" + f.Runbook + "/'"
	}
	// A phase state shows only while the execution runs (see
	// DisplayState), and an open incident is a running one; a status is
	// the execution's. An outcome is in the memo only: its incident may
	// linger running or have completed.
	status := ""
	if f.Open {
		status = "Running"
	}
	if f.Outcome != "" {
		_, phase, s, _ := f.kind()
		if phase {
			status = "Running"
		} else if s != "" {
			status = s
		}
	}
	if status != "" {
		q += " AND ExecutionStatus = '" + status + "'"
	}
	return q, nil
}

// Match says whether s passes f: the part of the filter the server
// cannot decide (the memo's outcome and phase), and the rest again, so
// that Match alone is the whole filter. f must be valid.
func (f ListFilter) Match(s Summary) bool {
	if f.Runbook != "" && !strings.HasPrefix(s.ID, f.Runbook+"/") {
		return false
	}
	if f.Open && !s.Open() {
		return false
	}
	// The state shown, or the outcome behind it: an incident escalated and
	// then resolved is both "resolved" and "escalated".
	if f.Outcome != "" && canonState(s.DisplayState()) != canonState(f.Outcome) && canonState(s.Outcome) != canonState(f.Outcome) {
		return false
	}
	return true
}
