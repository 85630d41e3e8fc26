// Package workflows holds firebreak's Temporal workflows: Incident, one per
// incident, which runs a runbook from diagnosis to its outcome, and Target,
// the durable per-target ledger that serialises remediations and enforces
// cooldowns and action budgets across incidents and restarts.
//
// Workflow code here is deterministic: it parses the runbook source pinned
// into its input, reads time only through workflow.Now, waits only on
// durable timers, and reaches the outside world only through activities.
package workflows

import (
	"time"

	"github.com/firebreak-dev/firebreak/activities"
	"github.com/firebreak-dev/firebreak/internal/incident"
)

// Names under which the workflows, signals and queries are registered. They
// are part of the durable contract with running histories: renaming one
// breaks every incident in flight.
const (
	IncidentWorkflowName = "Incident"
	TargetWorkflowName   = "Target"

	// SignalAlert carries every Alertmanager notification for the incident's
	// alert group: repeats of a firing alert and its resolution.
	SignalAlert = "alert"
	// QueryState returns the incident's live State.
	QueryState = "state"

	signalPermit  = "permit"
	signalAcquire = "acquire"
	signalRelease = "release"
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
	Control activities.ControlSettings
	// TimelineURL, when set, links the incident's history in the Temporal
	// Web UI for escalation records.
	TimelineURL string
}

// Defaults used when Settings leaves a field zero.
const (
	DefaultLinger        = time.Hour
	DefaultPermitTimeout = 5 * time.Minute
)
