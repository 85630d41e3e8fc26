package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Names shared with package workflows for the engine-wide control
// workflow: the kill switch, storm detection and the cap on concurrent
// remediations. One runs per namespace and task queue, under a fixed ID, so
// every worker and every incident see the same switch.
const (
	ControlWorkflowName = "Control"
	// ControlWorkflowID is the control workflow's ID.
	ControlWorkflowID = "firebreak/control"
	// ControlSignalOpened reports a new incident (storm detection).
	ControlSignalOpened = "opened"
	// ControlSignalAcquire asks for one of the global remediation slots.
	ControlSignalAcquire = "acquire"
)

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

// ReportOpened delivers an incident's opening to the control workflow,
// starting it if it is not running. A duplicate report is recognised.
func (p *Permits) ReportOpened(ctx context.Context, r OpenedReport) error {
	return p.signalControl(ctx, ControlSignalOpened, r)
}

// RequestSlot delivers a slot request to the control workflow, starting it
// if it is not running; the answer comes back as a signal to the incident.
// Delivering twice is harmless.
func (p *Permits) RequestSlot(ctx context.Context, r SlotRequest) error {
	return p.signalControl(ctx, ControlSignalAcquire, r)
}

func (p *Permits) signalControl(ctx context.Context, signal string, arg any) error {
	if p == nil || p.Client == nil {
		return temporal.NewNonRetryableApplicationError("permits are not configured on this worker", "permits-not-configured", nil)
	}
	_, err := p.Client.SignalWithStartWorkflow(ctx, ControlWorkflowID, signal, arg,
		client.StartWorkflowOptions{TaskQueue: p.TaskQueue}, ControlWorkflowName, ControlInput{})
	if err != nil {
		return fmt.Errorf("signal control workflow (%s): %w", signal, err)
	}
	return nil
}
