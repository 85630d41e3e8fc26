// Package guard is the runtime kill switch behind `firebreak pause`,
// `resume` and `guardrails`. The switch itself is held by the engine-wide
// Control workflow (workflows.Control), so it applies to every worker at
// once and survives restarts; this package only delivers pauses and
// resumes to it and reads its state, as plain Go calls that
// internal/operator's HTTP API makes for operators.
package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/workflows"
)

// Temporal is the slice of the Temporal client the kill switch needs.
type Temporal interface {
	NewWithStartWorkflowOperation(options client.StartWorkflowOptions, workflow any, args ...any) client.WithStartWorkflowOperation
	UpdateWithStartWorkflow(ctx context.Context, options client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error)
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
	QueryWorkflow(ctx context.Context, workflowID string, runID string, queryType string, args ...any) (converter.EncodedValue, error)
}

// Options configure a Service.
type Options struct {
	// TaskQueue is where the control workflow runs when a pause or resume
	// has to start it: the engine's task queue.
	TaskQueue string
	// Settings are the guardrails this engine is configured with. The
	// control workflow learns its settings from incidents' reports; until
	// one has reported, the state shows these instead.
	Settings workflows.ControlSettings
	// Log is where pauses and resumes are logged; nil means slog.Default().
	Log *slog.Logger
}

// Service pauses and resumes automation and reports the guardrails' state.
type Service struct {
	temporal  Temporal
	taskQueue string
	settings  workflows.ControlSettings
	log       *slog.Logger
}

// New returns a Service over a Temporal client.
func New(t Temporal, o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{temporal: t, taskQueue: o.TaskQueue, settings: o.Settings, log: o.Log}
}

// RejectedError is a request the control workflow refused (its update
// validator said no). Retrying it unchanged will not help; the operator
// API answers it 409.
type RejectedError struct{ Reason string }

func (e *RejectedError) Error() string { return e.Reason }

// RefusalMetric is the reason label the refusal is counted under in
// firebreak_refusals_total.
func (e *RejectedError) RefusalMetric() string { return "guard_rejected" }

// attempts bounds how often an update is retried when it meets the control
// workflow just as it ends (it ends whenever it is idle, and a new run is
// started by the next attempt).
const attempts = 3

// Pause turns the kill switch on, starting the control workflow if it is
// not running. It returns once every incident holding a remediation slot
// has been told to stop: no remediation starts an action after it returns.
// Pausing again keeps the first pause's operator and time and replaces the
// reason, if one is given.
func (s *Service) Pause(ctx context.Context, by, reason string) (workflows.ControlState, error) {
	st, err := s.update(ctx, workflows.UpdatePause, workflows.PauseRequest{By: by, Reason: reason})
	if err != nil {
		return st, fmt.Errorf("pause automation: %w", err)
	}
	s.log.Warn("automation paused", "by", by, "reason", reason)
	return st, nil
}

// Resume turns the kill switch off and ends storm mode.
func (s *Service) Resume(ctx context.Context, by string) (workflows.ControlState, error) {
	st, err := s.update(ctx, workflows.UpdateResume, workflows.ResumeRequest{By: by})
	if err != nil {
		return st, fmt.Errorf("resume automation: %w", err)
	}
	s.log.Info("automation resumed", "by", by)
	return st, nil
}

// update delivers an update to the control workflow with update-with-start:
// one call that starts the workflow when no run is open and otherwise
// updates the open one.
func (s *Service) update(ctx context.Context, name string, arg any) (workflows.ControlState, error) {
	var (
		st  workflows.ControlState
		err error
	)
	for range attempts {
		st, err = s.updateOnce(ctx, name, arg)
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) || ctx.Err() != nil {
			break
		}
		// The run completed between being found and taking the update.
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return st, &RejectedError{Reason: app.Error()}
	}
	return s.withSettings(st), err
}

// withSettings fills in the configured settings when no incident has
// reported any.
func (s *Service) withSettings(st workflows.ControlState) workflows.ControlState {
	if st.Settings == (workflows.ControlSettings{}) {
		st.Settings = s.settings
	}
	return st
}

func (s *Service) updateOnce(ctx context.Context, name string, arg any) (workflows.ControlState, error) {
	var st workflows.ControlState
	start := s.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.ControlWorkflowID(s.taskQueue),
		TaskQueue:                s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.ControlWorkflowName, workflows.ControlInput{})
	h, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID:   workflows.ControlWorkflowID(s.taskQueue),
			UpdateName:   name,
			Args:         []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return st, err
	}
	err = h.Get(ctx, &st)
	return st, err
}

// Status reads the guardrails' state from the control workflow. When none
// is running, nothing is paused, no storm is on and no slot is held: Status
// returns the zero state. A Temporal that cannot be reached is an error,
// never mistaken for that.
func (s *Service) Status(ctx context.Context) (workflows.ControlState, error) {
	var st workflows.ControlState
	d, err := s.temporal.DescribeWorkflowExecution(ctx, workflows.ControlWorkflowID(s.taskQueue), "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return s.withSettings(st), nil
		}
		return st, fmt.Errorf("describe the control workflow: %w", err)
	}
	if d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		// It ends only when idle: not paused, no storm, no slot held.
		return s.withSettings(st), nil
	}
	v, err := s.temporal.QueryWorkflow(ctx, workflows.ControlWorkflowID(s.taskQueue), "", workflows.QueryControl)
	if err != nil {
		return st, fmt.Errorf("query the control workflow: %w", err)
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode the control state: %w", err)
	}
	return s.withSettings(st), nil
}
