// Package incident holds the record of one incident: its alert, phase,
// evidence, actions, checks and timeline, and the views people read of it
// (the list kept in the workflow's memo, the show text). Of firebreak it
// imports only the runbook language (whose Alert it records), and of
// Temporal only the API's message types the list is read from, so that the
// workflow that writes the record, the escalation activities that read it
// and the CLI that shows it share one definition.
package incident

import (
	"time"

	"github.com/firebreak-dev/firebreak/runbooks"
)

// Outcomes of an incident.
const (
	OutcomeResolved  = "resolved"
	OutcomeEscalated = "escalated"
	OutcomeStopped   = "stopped"
	// OutcomeGrouped: the incident opened during a storm (too many
	// incidents at once, the pattern of a shared dependency failing). It did
	// not act or page on its own; the storm's one grouped escalation lists it.
	OutcomeGrouped = "grouped"
)

// Phases an incident passes through; State.Phase holds the current one.
const (
	PhaseDiagnosing  = "diagnosing"
	PhaseRemediating = "remediating"
	PhaseVerifying   = "verifying"
	// PhaseAwaitingApproval: a remediation waits for people to approve it.
	PhaseAwaitingApproval = "awaiting_approval"
	PhaseEscalating       = "escalating"
	// PhaseAwaitingResolution: the outcome is decided and the incident stays
	// open until Alertmanager reports the alert resolved (or Linger passes),
	// so that repeats of the same alert are heard by this run instead of
	// opening a new incident.
	PhaseAwaitingResolution = "awaiting_resolution"
	PhaseClosed             = "closed"
)

// Alert is one Alertmanager alert as the incident sees it: the alert the
// runbook language defines, one type for intake, workflows and records.
type Alert = runbooks.Alert

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
	// Storm is the storm this incident was grouped into, if any.
	Storm string `json:",omitempty"`

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
	Approval     *ApprovalRecord  `json:",omitempty"`
	Acknowledged *Acknowledgement `json:",omitempty"`
	// Slack is the incident's header message, whose thread carries every
	// later step, when the runbook has a slack_channel.
	Slack    *SlackMessage `json:",omitempty"`
	Timeline []Event

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
	// Summary is a one-line account of a Kubernetes diagnosis (rollout,
	// pods, log class); Class its log class.
	Summary string `json:",omitempty"`
	Class   string `json:",omitempty"`
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
	// Before and After describe non-numeric actions (images, env values,
	// annotations, the pod chosen) in words: the state read before acting
	// and the state the action sets.
	Before  string `json:",omitempty"`
	After   string `json:",omitempty"`
	Applied bool
	Changed bool
	DryRun  bool
	Error   string `json:",omitempty"`
	// StartedAt is when the mutating call was scheduled; At when the
	// action's outcome was recorded.
	StartedAt time.Time `json:",omitempty"`
	At        time.Time
	// Restored says the action was undone after verification failed
	// (verify.rollback); RestoreError why undoing it failed.
	Restored     bool   `json:",omitempty"`
	RestoreError string `json:",omitempty"`
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
	Sink      string
	Reason    string
	Delivered bool
	Attempts  int
	Error     string `json:",omitempty"` // the last attempt's error
	At        time.Time
}

// Event is one line of the incident's timeline.
type Event struct {
	At      time.Time
	Kind    string
	Message string
}

// Approval statuses.
const (
	ApprovalPending   = "pending"
	ApprovalApproved  = "approved"
	ApprovalDenied    = "denied"
	ApprovalExpired   = "expired"
	ApprovalWithdrawn = "withdrawn" // the alert resolved while waiting
)

// ApprovalRecord is a remediation's request for approval and the decisions
// it received.
type ApprovalRecord struct {
	ID           string
	Remediation  string
	Approvers    []string
	MinApprovals int
	OnExpiry     string
	Channel      string `json:",omitempty"`
	RequestedAt  time.Time
	ExpiresAt    time.Time
	Status       string
	Decisions    []Decision
	// Message is the Slack message holding the buttons, when posted.
	Message *SlackMessage `json:",omitempty"`
}

// Approvals counts the approve decisions.
func (a *ApprovalRecord) Approvals() int {
	n := 0
	for _, d := range a.Decisions {
		if d.Decision == "approve" {
			n++
		}
	}
	return n
}

// Decision is one person's answer to an approval.
type Decision struct {
	Decision string // "approve" or "deny"
	By       string // Slack user ID, or "operator:<name>"
	Name     string `json:",omitempty"` // display name, when known
	Via      string // "slack" or "api"
	Group    string `json:",omitempty"` // the allowlisted user group that authorised a Slack user
	At       time.Time
}

// SlackMessage locates a Slack message.
type SlackMessage struct {
	Channel string
	TS      string
}

// Acknowledgement records that a person took the incident: escalation
// steps still waiting on their delay are skipped.
type Acknowledgement struct {
	By  string
	Via string
	At  time.Time
}
