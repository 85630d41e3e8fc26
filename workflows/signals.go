package workflows

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Starter is the slice of the Temporal client the Permits activities need.
type Starter interface {
	SignalWithStartWorkflow(ctx context.Context, workflowID string, signalName string, signalArg interface{},
		options client.StartWorkflowOptions, workflow interface{}, workflowArgs ...interface{}) (client.WorkflowRun, error)
}

// Permits delivers an incident's requests to the Target ledgers and the
// Control workflow. Workflows cannot signal-with-start another workflow
// themselves, so these activities do it for them; the ledger answers with
// a signal back to the incident. They live here, beside the workflows
// whose contract they speak, so no other package names those workflows.
type Permits struct {
	Client Starter
	// TaskQueue is the worker's task queue: the ledgers and the Control
	// workflow run there, and the Control workflow's ID names it.
	TaskQueue string
}

// RequestPermit delivers req to its target's ledger, starting the ledger if
// it is not running. Delivering twice is harmless: the ledger recognises a
// request it already holds or has queued.
func (p *Permits) RequestPermit(ctx context.Context, req PermitRequest) error {
	if err := p.configured(); err != nil {
		return err
	}
	_, err := p.Client.SignalWithStartWorkflow(ctx, TargetWorkflowID(req.Target), signalAcquire, req,
		client.StartWorkflowOptions{TaskQueue: p.TaskQueue}, TargetWorkflowName, TargetInput{Target: req.Target})
	if err != nil {
		return fmt.Errorf("request permit for %s: %w", req.Target, err)
	}
	return nil
}

// ReportOpened delivers an incident's opening to the control workflow,
// starting it if it is not running. A duplicate report is recognised.
func (p *Permits) ReportOpened(ctx context.Context, r OpenedReport) error {
	return p.signalControl(ctx, signalOpened, r)
}

// RequestSlot delivers a slot request to the control workflow, starting it
// if it is not running; the answer comes back as a signal to the incident.
// Delivering twice is harmless.
func (p *Permits) RequestSlot(ctx context.Context, r SlotRequest) error {
	return p.signalControl(ctx, signalSlotAcquire, r)
}

// RequestPage delivers an incident's question "may I page on my own?" to
// the control workflow, starting it if it is not running; the answer comes
// back as a signal to the incident. Delivering twice is harmless.
func (p *Permits) RequestPage(ctx context.Context, r PageRequest) error {
	return p.signalControl(ctx, signalPage, r)
}

func (p *Permits) signalControl(ctx context.Context, signal string, arg any) error {
	if err := p.configured(); err != nil {
		return err
	}
	_, err := p.Client.SignalWithStartWorkflow(ctx, ControlWorkflowID(p.TaskQueue), signal, arg,
		client.StartWorkflowOptions{TaskQueue: p.TaskQueue}, ControlWorkflowName, ControlInput{})
	if err != nil {
		return fmt.Errorf("signal control workflow (%s): %w", signal, err)
	}
	return nil
}

func (p *Permits) configured() error {
	if p == nil || p.Client == nil {
		return temporal.NewNonRetryableApplicationError("permits are not configured on this worker", "permits-not-configured", nil)
	}
	return nil
}
