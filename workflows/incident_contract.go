package workflows

import (
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

// The Incident workflow's durable contract: its registered name, the
// signal intake delivers every notification on, the updates people answer
// with and the query that reads its record. Renaming one breaks every
// incident in flight. The workflow ID is the incident ID that intake
// derives from the runbook and the alert group.
const (
	IncidentWorkflowName = "Incident"

	// SignalAlert carries every Alertmanager notification for the incident's
	// alert group: repeats of a firing alert and its resolution.
	SignalAlert = "alert"
	// QueryState returns the incident's live State (and a Target's
	// TargetState: both workflows answer the same query name).
	QueryState = "state"
	// UpdateDecide records a person's approve/deny of a pending approval.
	UpdateDecide = "decide"
	// UpdateAcknowledge records that a person took the incident: pending
	// escalation steps stop.
	UpdateAcknowledge = "acknowledge"

	signalPermit = "permit" // Target or Control → incident: a Permit
	signalRevoke = "revoke" // Control → incident: stop mutating
	signalStorm  = "storm"  // Control → incident: you are part of a storm
	// signalPageAnswer: Control → incident, a PageAnswer to its PageRequest.
	signalPageAnswer = "page-answer"
)

// Input starts an Incident. The runbook is pinned by value: an incident
// finishes on the runbook version it started with, whatever happens to the
// files afterwards.
type Input struct {
	IncidentID string
	Runbook    PinnedRunbook
	Alert      incident.Alert
	Settings   Settings
}

// PinnedRunbook is a runbook's source as it was when the incident started.
type PinnedRunbook struct {
	Name     string
	Filename string
	Source   []byte
	SHA256   string
}

// Settings are the engine-wide knobs an incident needs, fixed at its start.
type Settings struct {
	// DryRun forces every runbook into dry-run mode, whatever it says.
	DryRun bool
	// Paused is the kill switch: nothing mutates, diagnosis and escalation go on.
	Paused bool
	// Linger is how long an incident stays open after its outcome, waiting
	// for the alert to resolve. Zero means DefaultLinger.
	Linger time.Duration
	// PermitTimeout bounds the wait for a target's permit (another incident
	// may hold it). Zero means DefaultPermitTimeout.
	PermitTimeout time.Duration
	// Control holds the engine-wide guardrails (storm detection, the cap
	// on concurrent remediations) the incident reports to the Control
	// workflow. The kill switch itself lives in that workflow, where
	// `firebreak pause` sets it at run time.
	Control ControlSettings
	// TimelineURL, when set, links the incident's history in the Temporal
	// Web UI for escalation records.
	TimelineURL string
}

// Defaults used when Settings leaves a field zero.
const (
	DefaultLinger        = time.Hour
	DefaultPermitTimeout = 5 * time.Minute
)

// Decision sources.
const (
	ViaSlack = "slack"
	ViaAPI   = "api"
)

// DecisionRequest is one person's answer to the pending approval. The
// receiver authenticates the person (Slack's signed request, or an operator
// token) before sending it; the workflow checks it against the runbook's
// allowlist, which only it knows for sure (it is pinned in the incident).
type DecisionRequest struct {
	ApprovalID string // "" means the pending one
	Decision   string // "approve" or "deny"
	Via        string // ViaSlack or ViaAPI
	// UserID is the Slack user (ViaSlack).
	UserID   string
	UserName string
	// Group is the allowlisted Slack user group the receiver found the user
	// in (resolved through Slack's API), when the user is not listed by ID.
	Group string
	// Operator is the configured operator who answered (ViaAPI).
	Operator string
}

// AckRequest acknowledges an incident.
type AckRequest struct {
	By  string
	Via string
}
