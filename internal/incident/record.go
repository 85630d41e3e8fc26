// Package incident holds the record of one incident: its alert, phase,
// evidence, actions, checks and timeline. It is a leaf package so that the
// workflow that writes the record, the escalation sinks that carry it and the
// CLI that shows it share one definition.
package incident

import "time"

// Outcomes of an incident.
const (
	OutcomeResolved  = "resolved"
	OutcomeEscalated = "escalated"
	OutcomeStopped   = "stopped"
)

// Phases an incident passes through; State.Phase holds the current one.
const (
	PhaseDiagnosing  = "diagnosing"
	PhaseRemediating = "remediating"
	PhaseVerifying   = "verifying"
	PhaseEscalating  = "escalating"
	// PhaseAwaitingResolution: the outcome is decided and the incident stays
	// open until Alertmanager reports the alert resolved (or Linger passes),
	// so that repeats of the same alert are heard by this run instead of
	// opening a new incident.
	PhaseAwaitingResolution = "awaiting_resolution"
	PhaseClosed             = "closed"
)

// Alert is one Alertmanager alert as the incident sees it.
type Alert struct {
	Status       string
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	Fingerprint  string
}

// State is an incident's record: the live answer to QueryState, the
// workflow's result, and what escalations carry.
type State struct {
	IncidentID string
	Runbook    string
	RunbookSHA string
	Phase      string
	Outcome    string `json:",omitempty"`
	Reason     string `json:",omitempty"`
	DryRun     bool

	Alert       Alert
	AlertStatus string
	// Notifications counts the Alertmanager notifications heard, the first included.
	Notifications int

	Diagnosis    []DiagnosisRecord
	Remediation  string `json:",omitempty"`
	Actions      []ActionRecord
	Checks       []CheckRecord
	Verification string `json:",omitempty"`
	Escalations  []EscalationRecord
	Timeline     []Event

	StartedAt       time.Time
	FirstActionAt   time.Time `json:",omitempty"`
	OutcomeAt       time.Time `json:",omitempty"`
	ClosedAt        time.Time `json:",omitempty"`
	AlertResolvedAt time.Time `json:",omitempty"`
}

// DiagnosisRecord is one diagnose block's evidence.
type DiagnosisRecord struct {
	Name   string
	Query  string
	Value  float64
	Found  bool
	Series int
	Error  string `json:",omitempty"`
}

// ActionRecord is one action: what was planned from which prior state, and
// what happened.
type ActionRecord struct {
	Name    string
	Kind    string
	Target  string
	Spec    string // the runbook's amount, e.g. "+50% (max 20)"
	Prior   int64
	Planned int64
	Applied bool
	Changed bool
	DryRun  bool
	Error   string `json:",omitempty"`
	At      time.Time
}

// CheckRecord is one verification query and its verdict.
type CheckRecord struct {
	Query  string
	Value  float64
	Found  bool
	Passed bool
	Error  string `json:",omitempty"`
	At     time.Time
}

// EscalationRecord says where an escalation went and whether it got there.
type EscalationRecord struct {
	Sink   string
	Reason string
	Error  string `json:",omitempty"`
	At     time.Time
}

// Event is one line of the incident's timeline.
type Event struct {
	At      time.Time
	Kind    string
	Message string
}
