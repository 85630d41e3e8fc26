package workflows

import "time"

// The Control workflow's durable contract: the kill switch, storm
// detection and the cap on concurrent remediations, one workflow per
// namespace and task queue under ControlWorkflowID(queue), so that every
// worker and every incident on that queue see the same switch, and two
// queues never share one.
const (
	ControlWorkflowName = "Control"

	// UpdatePause turns the kill switch on: it returns once every incident
	// holding a remediation slot has been told to stop, so that no action
	// starts after it returns.
	UpdatePause = "pause"
	// UpdateResume turns the kill switch off and ends storm mode.
	UpdateResume = "resume"
	// QueryControl returns the ControlState.
	QueryControl = "control"

	// ControlTarget is the Target of a Permit answering a slot request.
	ControlTarget = "engine"

	signalOpened      = "opened"       // incident (via ReportOpened) → control: an OpenedReport
	signalSlotAcquire = "acquire"      // incident (via RequestSlot) → control: a SlotRequest
	signalSlotRelease = "slot-release" // incident → control: the incident ID
	signalPage        = "page"         // incident (via RequestPage) → control: a PageRequest

	// legacyControlWorkflowID is the one ID every queue shared before the
	// ID named its task queue; DefaultTaskQueue keeps it, so an engine
	// upgraded while paused stays paused.
	legacyControlWorkflowID = "firebreak/control"
)

// DefaultTaskQueue is the task queue of an engine configured without one.
const DefaultTaskQueue = "firebreak"

// ControlWorkflowID is the ID of the Control workflow of a task queue.
func ControlWorkflowID(taskQueue string) string {
	if taskQueue == DefaultTaskQueue || taskQueue == "" {
		return legacyControlWorkflowID
	}
	return legacyControlWorkflowID + "/" + taskQueue
}

// ControlInput starts the control workflow. It is empty: settings arrive
// with every report, so the newest engine configuration wins.
type ControlInput struct{}

// ControlSettings are the engine-wide guardrails, as configured in
// firebreak.hcl and carried by every incident that reports to the control
// workflow.
type ControlSettings struct {
	// MaxConcurrent caps remediations in progress at once across every
	// runbook; 0 means no cap.
	MaxConcurrent int
	// StormThreshold: more than this many incidents opened within
	// StormWindow starts storm mode; 0 disables storm detection.
	StormThreshold int
	StormWindow    time.Duration
	// StormQuiet ends storm mode once no incident has opened for this long;
	// 0 means StormWindow.
	StormQuiet time.Duration
	// StormPageHold is how long after an incident opened its own page
	// waits for a storm to begin: a storm beginning within it groups the
	// incident, which then never pages on its own. 0 or more than
	// StormWindow means StormWindow: no storm that could count the incident
	// can begin after it paged.
	StormPageHold time.Duration
	// Where the one grouped escalation of a storm goes, besides the record
	// sink: a Slack channel and a PagerDuty service ("" = not there).
	StormSlackChannel     string
	StormPagerDutyService string
	// StormPage, when true, sends the grouped escalation to PagerDuty
	// (service StormPagerDutyService, "" meaning the default key).
	StormPage bool
}

// OpenedReport tells the control workflow that an incident started.
type OpenedReport struct {
	IncidentID string
	WorkflowID string
	RunID      string
	Runbook    string
	Summary    string // the alert in one line, for the grouped escalation
	Settings   ControlSettings
}

// SlotRequest asks the control workflow for leave to remediate: granted
// unless automation is paused or in storm mode, queued while the
// concurrency cap is reached.
type SlotRequest struct {
	IncidentID string
	WorkflowID string
	RunID      string
	Runbook    string
	// Lease bounds how long the slot is held if the incident never
	// releases it.
	Lease    time.Duration
	Settings ControlSettings
}

// PageSink is one destination an incident's escalation would page: a
// Slack channel or a PagerDuty service ("" = the default routing key).
type PageSink struct {
	Sink    string // "slack" or "pagerduty"
	Channel string `json:",omitempty"`
	Service string `json:",omitempty"`
}

// PageRequest asks the control workflow whether an incident may page on
// its own. The answer is a StormNotice (signalStorm: the storm pages
// instead, to these sinks too) or a PageAnswer (signalPageAnswer): page
// now, or ask again after Wait, when the incident can no longer become
// part of a storm that has not begun yet. Delivering twice is harmless.
type PageRequest struct {
	IncidentID string
	WorkflowID string
	RunID      string
	Sinks      []PageSink
	Settings   ControlSettings
}

// PageAnswer lets an incident page (Wait 0) or tells it to ask again after
// Wait.
type PageAnswer struct {
	Wait time.Duration
}

// PauseRequest turns the kill switch on.
type PauseRequest struct {
	By     string // who: an operator name
	Reason string // why, shown to everyone who asks
}

// ResumeRequest turns the kill switch off.
type ResumeRequest struct {
	By string
}
