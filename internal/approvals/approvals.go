// Package approvals delivers people's answers to incidents: Approve/Deny
// clicks from Slack (the slack.Decider) and decisions and acknowledgements
// from operators (Decide and Acknowledge, which internal/operator's HTTP
// API calls for `firebreak approve`, `deny` and `ack`). Both paths end in
// the same Temporal updates, so the incident records the same decision
// whichever way it came.
//
// Who may answer is checked twice: where the person is authenticated
// (Slack's signed request and the runbook's allowlist with user groups
// resolved here through Slack; an operator's token in internal/operator),
// and in the workflow's update validator, against the allowlist of the
// runbook pinned in the incident.
package approvals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/firebreak-dev/firebreak/integrations/slack"
	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/workflows"
)

// Temporal is the slice of the Temporal client approvals need.
type Temporal interface {
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
	QueryWorkflow(ctx context.Context, workflowID string, runID string, queryType string, args ...interface{}) (converter.EncodedValue, error)
}

// Approvers expands an allowlist into the Slack users it allows.
type Approvers interface {
	ResolveApprovers(ctx context.Context, ids []string) (map[string]bool, error)
}

// Operator is a configured operator and its token: the type engine.Options
// and the CLI name operators with.
type Operator = bearer.Operator

// Service answers approvals and acknowledgements.
type Service struct {
	temporal Temporal
	groups   Approvers
	log      *slog.Logger
	metrics  *metrics.Metrics
}

// New returns a Service. groups may be nil when Slack is not configured;
// m counts the Slack path's refusals (the operator API counts its own) and
// may be nil.
func New(t Temporal, groups Approvers, log *slog.Logger, m *metrics.Metrics) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{temporal: t, groups: groups, log: log, metrics: m}
}

// RefusedError is a decision the incident would not take: nothing pending,
// not an approver, already answered. It is not worth retrying. Decide and
// Acknowledge return it without counting it: whoever answers the person
// (the Slack decider here, internal/operator for the API) logs and counts
// it under Metric.
type RefusedError struct {
	Reason string // what to tell the person
	Metric string // the reason label in firebreak_refusals_total
}

func (e *RefusedError) Error() string { return e.Reason }

// RefusalMetric is the reason label the refusal is counted under.
func (e *RefusedError) RefusalMetric() string { return e.Metric }

func refusal(metric, format string, args ...any) *RefusedError {
	return &RefusedError{Reason: fmt.Sprintf(format, args...), Metric: metric}
}

// refused logs and counts a refusal the Slack path answers.
func (s *Service) refused(err *RefusedError, attrs ...any) {
	if s.metrics != nil {
		s.metrics.Refusals.WithLabelValues(err.Metric).Inc()
	}
	s.log.Warn("decision refused", append([]any{"reason", err.Metric, "detail", err.Reason}, attrs...)...)
}

// Decide delivers a decision to an incident and returns the approval as it
// stands afterwards.
func (s *Service) Decide(ctx context.Context, incidentID string, d workflows.DecisionRequest) (incident.ApprovalRecord, error) {
	var rec incident.ApprovalRecord
	if err := s.update(ctx, incidentID, workflows.UpdateDecide, d, &rec, "decision", "decide on"); err != nil {
		return rec, err
	}
	s.log.Info("decision recorded", "incident", incidentID, "decision", d.Decision, "by", who(d), "via", d.Via, "status", rec.Status)
	return rec, nil
}

// Acknowledge records that someone took the incident.
func (s *Service) Acknowledge(ctx context.Context, incidentID string, ack workflows.AckRequest) (incident.Acknowledgement, error) {
	var rec incident.Acknowledgement
	err := s.update(ctx, incidentID, workflows.UpdateAcknowledge, ack, &rec, "ack", "acknowledge")
	return rec, err
}

// update delivers an update to an incident and waits for its result. An
// incident that is not open, or whose validator says no, is a
// RefusedError counted under <kind>_no_incident or <kind>_rejected; any
// other failure is wrapped as "<verb> <incident>".
func (s *Service) update(ctx context.Context, incidentID, name string, arg, result any, kind, verb string) error {
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: incidentID, UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, result)
	}
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf):
		return refusal(kind+"_no_incident", "incident %s is not open", incidentID)
	case isRejection(err):
		return refusal(kind+"_rejected", "%s", rejection(err))
	}
	return fmt.Errorf("%s %s: %w", verb, incidentID, err)
}

// isRejection tells a validator's refusal from a transport failure: the
// SDK returns the validator's error as an application error.
func isRejection(err error) bool {
	var app interface{ Type() string }
	return errors.As(err, &app) || strings.Contains(err.Error(), "workflow execution already completed")
}

func rejection(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "already completed") {
		return "the incident is over"
	}
	return msg
}

func who(d workflows.DecisionRequest) string {
	if d.Via == workflows.ViaAPI {
		return "operator:" + d.Operator
	}
	return d.UserID
}

// Decide implements slack.Decider: a verified click becomes a decision when
// the clicker is on the pending approval's allowlist, directly or through
// one of its user groups.
type slackDecider struct{ s *Service }

// SlackDecider returns the Decider for Slack's interaction handler.
func (s *Service) SlackDecider() slack.Decider { return slackDecider{s} }

func (d slackDecider) Decide(ctx context.Context, in slack.Interaction) (slack.Reply, error) {
	reply, err := d.decide(ctx, in)
	var refused *RefusedError
	if errors.As(err, &refused) {
		d.s.refused(refused, "incident", in.IncidentID, "approval", in.ApprovalID, "user", in.UserID)
		return slack.Reply{Text: refused.Reason}, nil
	}
	return reply, err
}

func (d slackDecider) decide(ctx context.Context, in slack.Interaction) (slack.Reply, error) {
	s := d.s
	pending, err := s.pending(ctx, in.IncidentID)
	if err != nil {
		return slack.Reply{}, err
	}
	if in.ApprovalID != pending.ID {
		return slack.Reply{}, refusal("decision_stale", "This approval is no longer pending.")
	}
	req := workflows.DecisionRequest{ApprovalID: in.ApprovalID, Decision: in.Decision, Via: workflows.ViaSlack, UserID: in.UserID, UserName: in.UserName}
	if !slices.Contains(pending.Approvers, in.UserID) {
		group, err := s.groupOf(ctx, in.UserID, pending.Approvers)
		if err != nil {
			return slack.Reply{}, err
		}
		if group == "" {
			return slack.Reply{}, refusal("decision_not_approver", "<@%s> is not an approver of this remediation", in.UserID)
		}
		req.Group = group
	}
	rec, err := s.Decide(ctx, in.IncidentID, req)
	if err != nil {
		return slack.Reply{}, err
	}
	return slack.Reply{Text: fmt.Sprintf("Recorded: you %sd. Approval is %s (%d of %d).", in.Decision, rec.Status, rec.Approvals(), rec.MinApprovals)}, nil
}

// pending reads the incident's pending approval.
func (s *Service) pending(ctx context.Context, incidentID string) (*incident.ApprovalRecord, error) {
	v, err := s.temporal.QueryWorkflow(ctx, incidentID, "", workflows.QueryState)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, refusal("decision_no_incident", "This incident is over.")
		}
		return nil, fmt.Errorf("read incident %s: %w", incidentID, err)
	}
	var st incident.State
	if err := v.Get(&st); err != nil {
		return nil, fmt.Errorf("decode incident %s: %w", incidentID, err)
	}
	if st.Approval == nil || st.Approval.Status != incident.ApprovalPending {
		return nil, refusal("decision_not_pending", "This approval was already decided or has expired.")
	}
	return st.Approval, nil
}

// groupOf returns the allowlisted user group user belongs to, or "".
func (s *Service) groupOf(ctx context.Context, user string, approvers []string) (string, error) {
	if s.groups == nil {
		return "", nil
	}
	for _, id := range approvers {
		if !strings.HasPrefix(id, "S") {
			continue
		}
		members, err := s.groups.ResolveApprovers(ctx, []string{id})
		if err != nil {
			return "", fmt.Errorf("resolve user group %s: %w", id, err)
		}
		if members[user] {
			return id, nil
		}
	}
	return "", nil
}
