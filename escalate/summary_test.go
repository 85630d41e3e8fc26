package escalate

import (
	"fmt"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

func escalatedState() incident.State {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	return incident.State{
		IncidentID: "pool-exhaustion/3f2a9c1e",
		Runbook:    "pool-exhaustion",
		Phase:      incident.PhaseEscalating,
		Outcome:    incident.OutcomeEscalated,
		Reason:     "verification failed",
		Alert: incident.Alert{
			Labels:       map[string]string{"alertname": "PgBouncerPoolExhausted", "severity": "page", "instance": "pgbouncer:6432", "service": "pgbouncer"},
			Annotations:  map[string]string{"summary": "Clients waiting on pool app"},
			StartsAt:     at,
			GeneratorURL: "http://127.0.0.1:9090/graph",
		},
		Diagnosis: []incident.DiagnosisRecord{
			{Name: "waiting", Query: "cl_waiting", Value: 42, Found: true, Series: 1},
			{Name: "absent", Found: false},
			{Name: "broken", Error: "bad query"},
		},
		Remediation:  "grow_pool",
		Actions:      []incident.ActionRecord{{Name: "grow", Kind: "pgbouncer_pool_size", Target: "app", Prior: 20, Planned: 30, Applied: true, Changed: true, At: at}},
		Checks:       []incident.CheckRecord{{Query: "cl_waiting == 0", Value: 40, Found: true, Passed: false, At: at.Add(2 * time.Minute)}},
		Verification: "failed: cl_waiting still 40",
	}
}

func TestHeaderOf(t *testing.T) {
	s := escalatedState()
	s.Alert.Annotations = map[string]string{"description": "clients waiting"}
	h := HeaderOf(s, "http://127.0.0.1:8233/x")
	want := Header{
		IncidentID: "pool-exhaustion/3f2a9c1e", Runbook: "pool-exhaustion", Title: "PgBouncerPoolExhausted", Severity: "page",
		Summary: "clients waiting", Phase: incident.PhaseEscalating, Outcome: incident.OutcomeEscalated, Reason: "verification failed",
		Diagnosis:   []Field{{"waiting", "42"}, {"absent", "no series"}, {"broken", "error: bad query"}},
		Actions:     []string{"grow pgbouncer_pool_size app: 20 → 30 (applied)", "verification: failed: cl_waiting still 40"},
		TimelineURL: "http://127.0.0.1:8233/x", GeneratorURL: "http://127.0.0.1:9090/graph",
	}
	if fmt.Sprintf("%#v", h) != fmt.Sprintf("%#v", want) {
		t.Errorf("HeaderOf:\n%#v\nwant\n%#v", h, want)
	}
	m := message(h)
	if m.Title != want.Title || len(m.Diagnosis) != 3 || m.Diagnosis[1].Value != "no series" || m.TimelineURL != want.TimelineURL {
		t.Errorf("slack message = %+v", m)
	}
}

// TestSummaryIsBounded: however long the incident, an escalation carries
// the latest MaxChecks checks and MaxTimeline timeline entries, and says
// how many there were.
func TestSummaryIsBounded(t *testing.T) {
	s := escalatedState()
	at := s.Alert.StartsAt
	for i := range 500 {
		s.Checks = append(s.Checks, incident.CheckRecord{Query: "q", Value: float64(i), At: at.Add(time.Duration(i) * time.Second)})
		s.Timeline = append(s.Timeline, incident.Event{At: at, Kind: "alert", Message: fmt.Sprintf("event %d", i)})
	}
	sum := SummaryOf(s)
	if len(sum.Checks) != MaxChecks || sum.ChecksTotal != 501 || sum.Checks[MaxChecks-1].Value != 499 {
		t.Errorf("checks: %d carried of %d, last %v", len(sum.Checks), sum.ChecksTotal, sum.Checks[len(sum.Checks)-1])
	}
	if len(sum.Timeline) != MaxTimeline || sum.EventsTotal != 500 || sum.Timeline[MaxTimeline-1].Message != "event 499" {
		t.Errorf("timeline: %d carried of %d", len(sum.Timeline), sum.EventsTotal)
	}
	if len(sum.Diagnosis) != 3 || len(sum.Actions) != 1 || sum.Remediation != "grow_pool" {
		t.Errorf("summary lost the diagnosis or actions: %+v", sum)
	}
	s.Checks[len(s.Checks)-1].Value = -1
	if sum.Checks[MaxChecks-1].Value != 499 {
		t.Error("the summary shares the record's checks")
	}
}
