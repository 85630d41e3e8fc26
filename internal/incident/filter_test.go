package incident

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/runbooks"
)

func TestListFilterValidate(t *testing.T) {
	tests := []struct {
		name    string
		f       ListFilter
		wantErr string // "" means valid
	}{
		{"zero", ListFilter{}, ""},
		{"an outcome", ListFilter{Outcome: "escalated"}, ""},
		{"a phase state in words", ListFilter{Outcome: "awaiting approval"}, ""},
		{"a phase state as recorded", ListFilter{Outcome: "awaiting_approval"}, ""},
		{"a status", ListFilter{Outcome: "Timed-Out"}, ""},
		{"open with a phase state", ListFilter{Open: true, Outcome: "verifying"}, ""},
		{"open and running", ListFilter{Open: true, Outcome: "running"}, ""},
		{"a runbook", ListFilter{Runbook: "checkout-errors"}, ""},
		{"unknown outcome", ListFilter{Outcome: "fixed"},
			`unknown outcome "fixed": want an outcome (resolved, escalated, stopped, grouped), the state of an incident without one (diagnosing, remediating, awaiting approval, verifying, escalating) or a Temporal status (running, completed, failed, canceled, terminated, timed_out, paused)`},
		{"open with an outcome", ListFilter{Open: true, Outcome: "resolved"}, `-open lists incidents without an outcome that are still running; "resolved" is never one`},
		{"open with an ended status", ListFilter{Open: true, Outcome: "terminated"}, `"terminated" is never one`},
		{"a quote in the runbook", ListFilter{Runbook: "x' OR WorkflowType = 'Control"}, `not a runbook name`},
		{"a slash in the runbook", ListFilter{Runbook: "a/b"}, `not a runbook name`},
		{"a runbook starting with a dot", ListFilter{Runbook: ".hidden"}, `not a runbook name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want valid", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestListFilterQuery(t *testing.T) {
	tests := []struct {
		f    ListFilter
		want string
	}{
		{ListFilter{}, "WorkflowType = 'Incident'"},
		{ListFilter{Runbook: "checkout-errors"}, "WorkflowType = 'Incident' AND WorkflowId STARTS_WITH 'checkout-errors/'"},
		{ListFilter{Open: true}, "WorkflowType = 'Incident' AND ExecutionStatus = 'Running'"},
		{ListFilter{Outcome: "resolved"}, "WorkflowType = 'Incident'"}, // in the memo only: a lingering one runs, a closed one completed
		{ListFilter{Outcome: "diagnosing"}, "WorkflowType = 'Incident' AND ExecutionStatus = 'Running'"},
		{ListFilter{Outcome: "timed out"}, "WorkflowType = 'Incident' AND ExecutionStatus = 'TimedOut'"},
		{ListFilter{Runbook: "pool", Open: true, Outcome: "awaiting approval"},
			"WorkflowType = 'Incident' AND WorkflowId STARTS_WITH 'pool/' AND ExecutionStatus = 'Running'"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.f), func(t *testing.T) {
			got, err := tt.f.Query("Incident")
			if err != nil || got != tt.want {
				t.Fatalf("Query = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := (ListFilter{Runbook: "a'b"}).Query("Incident"); err == nil {
		t.Error("Query accepted a runbook with a quote")
	}
	if _, err := (ListFilter{}).Query("Incident' OR 'x"); err == nil {
		t.Error("Query accepted a workflow type with a quote")
	}
}

func TestListFilterMatch(t *testing.T) {
	rows := map[string]Summary{
		"escalated lingering": {ID: "checkout-errors/1", Runbook: "checkout-errors", Phase: PhaseAwaitingResolution, Outcome: OutcomeEscalated, Status: "running"},
		"resolved closed":     {ID: "pool/2", Runbook: "pool", Phase: PhaseClosed, Outcome: OutcomeResolved, Status: "completed"},
		"awaiting approval":   {ID: "pool/3", Runbook: "pool", Phase: PhaseAwaitingApproval, Status: "running"},
		"old running":         {ID: "pool/4", Status: "running"},
		"old completed":       {ID: "checkout-errors/5", Status: "completed"},
		"terminated":          {ID: "pool/6", Runbook: "pool", Phase: PhaseVerifying, Status: "terminated"},
		"other runbook":       {ID: "pool-2/7", Runbook: "pool-2", Phase: PhaseDiagnosing, Status: "running"},
	}
	tests := []struct {
		f    ListFilter
		want []string
	}{
		{ListFilter{}, []string{"awaiting approval", "escalated lingering", "old completed", "old running", "other runbook", "resolved closed", "terminated"}},
		{ListFilter{Outcome: "escalated"}, []string{"escalated lingering"}},
		{ListFilter{Outcome: "awaiting_approval"}, []string{"awaiting approval"}},
		{ListFilter{Outcome: "running"}, []string{"old running"}},
		{ListFilter{Outcome: "terminated"}, []string{"terminated"}},
		{ListFilter{Open: true}, []string{"awaiting approval", "old running", "other runbook"}},
		{ListFilter{Runbook: "pool"}, []string{"awaiting approval", "old running", "resolved closed", "terminated"}}, // by ID: old ones too
		{ListFilter{Runbook: "pool", Open: true}, []string{"awaiting approval", "old running"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.f), func(t *testing.T) {
			if err := tt.f.Validate(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, name := range slices.Sorted(maps.Keys(rows)) {
				if tt.f.Match(rows[name]) {
					got = append(got, name)
				}
			}
			if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
				t.Errorf("matched %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRunbookNameAsRunbooksSayIt keeps runbookName the same as the name
// runbooks.Parse accepts: a name the filter refused would be a runbook
// whose incidents cannot be listed, and one it accepted beyond runbooks'
// pattern would have to be escaped.
func TestRunbookNameAsRunbooksSayIt(t *testing.T) {
	for _, name := range []string{"checkout-errors", "a", "A.b_c-9", "9lives", strings.Repeat("x", 128), strings.Repeat("x", 129),
		"-dash", ".dot", "_under", "a/b", "a b", "a'b", `a"b`, "", "ünï"} {
		src := fmt.Sprintf("runbook %q {\n  match = [\"alertname=\\\"X\\\"\"]\n  escalate {\n    log {}\n  }\n}\n", name)
		_, diags := runbooks.Parse("name.hcl", []byte(src))
		if name == "checkout-errors" && diags.HasErrors() {
			t.Fatalf("the test's runbook does not parse: %v", diags)
		}
		parses := true
		for _, d := range diags {
			if d.Summary == "Invalid runbook name" {
				parses = false
			}
		}
		if ours := runbookName.MatchString(name); ours != parses {
			t.Errorf("name %q: runbooks accepts it: %t, the filter: %t", name, parses, ours)
		}
	}
}

func TestFilterStatesAreAccepted(t *testing.T) {
	states := FilterStates()
	if len(states) != len(Outcomes)+len(phaseStates)+len(statusStates) {
		t.Fatalf("FilterStates() = %q: want every outcome, phase state and status", states)
	}
	for _, s := range states {
		if err := (ListFilter{Outcome: s}).Validate(); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}
