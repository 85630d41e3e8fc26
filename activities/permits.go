package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Names shared with package workflows: the target ledger workflow and its
// acquire signal. Kept here, on the caller's side, because the activity
// starts that workflow by name.
const (
	TargetWorkflowName  = "Target"
	TargetSignalAcquire = "acquire"
	targetIDPrefix      = "target/"
)

// TargetWorkflowID is the ledger workflow's ID for a target key.
func TargetWorkflowID(target string) string { return targetIDPrefix + target }

// PermitRequest asks a target's ledger for leave to mutate it.
type PermitRequest struct {
	Target     string
	IncidentID string
	WorkflowID string
	RunID      string
	Runbook    string
	Cooldown   time.Duration
	MaxActions int
	Window     time.Duration
	// Lease bounds how long the permit is held if the incident never
	// releases it.
	Lease time.Duration
	// NoWait asks for an immediate refusal when another incident holds
	// the target (a runbook's on_busy = "escalate"), instead of a place in
	// the queue.
	NoWait bool `json:",omitempty"`
}

// TargetInput starts a target ledger.
type TargetInput struct {
	Target string
}

// Starter is the slice of the Temporal client the permit activity needs.
type Starter interface {
	SignalWithStartWorkflow(ctx context.Context, workflowID string, signalName string, signalArg interface{},
		options client.StartWorkflowOptions, workflow interface{}, workflowArgs ...interface{}) (client.WorkflowRun, error)
}

// Permits asks target ledgers for permits. Workflows cannot signal-with-start
// another workflow themselves, so this activity does it for them; the
// ledger answers with a signal back to the incident.
type Permits struct {
	Client    Starter
	TaskQueue string
}

// RequestPermit delivers req to its target's ledger, starting the ledger if
// it is not running. Delivering twice is harmless: the ledger recognises a
// request it already holds or has queued.
func (p *Permits) RequestPermit(ctx context.Context, req PermitRequest) error {
	if p == nil || p.Client == nil {
		return temporal.NewNonRetryableApplicationError("permits are not configured on this worker", "permits-not-configured", nil)
	}
	_, err := p.Client.SignalWithStartWorkflow(ctx, TargetWorkflowID(req.Target), TargetSignalAcquire, req,
		client.StartWorkflowOptions{TaskQueue: p.TaskQueue}, TargetWorkflowName, TargetInput{Target: req.Target})
	if err != nil {
		return fmt.Errorf("request permit for %s: %w", req.Target, err)
	}
	return nil
}
