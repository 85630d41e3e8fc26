package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Register registers every workflow on w under its contract name. Workers
// and replayers both call it, so a name is written down once.
func Register(w worker.WorkflowRegistry) {
	w.RegisterWorkflowWithOptions(Incident, workflow.RegisterOptions{Name: IncidentWorkflowName})
	w.RegisterWorkflowWithOptions(Target, workflow.RegisterOptions{Name: TargetWorkflowName})
	w.RegisterWorkflowWithOptions(Control, workflow.RegisterOptions{Name: ControlWorkflowName})
}
