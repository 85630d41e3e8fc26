package workflows

import "time"

// The Target ledger's durable contract. One ledger runs per remediation
// target under TargetWorkflowID(key); incidents reach it through the
// RequestPermit activity (a workflow cannot signal-with-start) and release
// it with a signal.
const (
	TargetWorkflowName = "Target"

	signalAcquire  = "acquire" // incident (via RequestPermit) → ledger: a PermitRequest
	signalRelease  = "release" // incident → ledger: a Release
	targetIDPrefix = "target/"
)

// TargetWorkflowID is the ledger workflow's ID for a target key (see
// runbooks.TargetRef.Key and the PgBouncer key in the action table).
func TargetWorkflowID(target string) string { return targetIDPrefix + target }

// TargetInput starts a target ledger.
type TargetInput struct {
	Target string
}

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

// Permit is a target ledger's (or the Control workflow's) answer to an
// incident's request.
type Permit struct {
	Target  string
	Granted bool
	Reason  string
}

// Release returns a permit, with the times at which the holder acted.
type Release struct {
	IncidentID string
	ActedAt    []time.Time
}
