// Package approvals delivers people's answers to incidents: Approve/Deny
// clicks from Slack and decisions and acknowledgements from operators
// through the HTTP API (what `firebreak approve`, `deny` and `ack` call).
// Both paths end in the same Temporal updates, so the incident records the
// same decision whichever way it came.
//
// Who may answer is checked twice: here, where the person is authenticated
// (Slack's signed request and the runbook's allowlist with user groups
// resolved through Slack; an operator's token), and in the workflow's
// update validator, against the allowlist of the runbook pinned in the
// incident.
package approvals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

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

// Operator is a configured operator and its token.
type Operator = bearer.Operator

// Service answers approvals and acknowledgements.
type Service struct {
	temporal  Temporal
	operators *bearer.Operators
	groups    Approvers
	log       *slog.Logger
	metrics   *metrics.Metrics
}

// New returns a Service. groups may be nil when Slack is not configured.
func New(t Temporal, ops []Operator, groups Approvers, log *slog.Logger, m *metrics.Metrics) *Service {
	return &Service{temporal: t, operators: bearer.NewOperators(ops), groups: groups, log: log, metrics: m}
}

// RefusedError is a decision the incident would not take: nothing pending,
// not an approver, already answered. It is not worth retrying.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

func (s *Service) refuse(reason, metric string, attrs ...any) error {
	if s.metrics != nil {
		s.metrics.Refusals.WithLabelValues(metric).Inc()
	}
	s.log.Warn("decision refused", append([]any{"reason", reason}, attrs...)...)
	return &RefusedError{Reason: reason}
}

// Decide delivers a decision to an incident and returns the approval as it
// stands afterwards.
func (s *Service) Decide(ctx context.Context, incidentID string, d workflows.DecisionRequest) (incident.ApprovalRecord, error) {
	var rec incident.ApprovalRecord
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: incidentID, UpdateName: workflows.UpdateDecide, Args: []interface{}{d},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &rec)
	}
	if err != nil {
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			return rec, s.refuse(fmt.Sprintf("incident %s is not open", incidentID), "decision_no_incident", "incident", incidentID)
		case isRejection(err):
			return rec, s.refuse(rejection(err), "decision_rejected", "incident", incidentID, "by", who(d))
		}
		return rec, fmt.Errorf("decide on %s: %w", incidentID, err)
	}
	s.log.Info("decision recorded", "incident", incidentID, "decision", d.Decision, "by", who(d), "via", d.Via, "status", rec.Status)
	return rec, nil
}

// Acknowledge records that someone took the incident.
func (s *Service) Acknowledge(ctx context.Context, incidentID string, ack workflows.AckRequest) (incident.Acknowledgement, error) {
	var rec incident.Acknowledgement
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: incidentID, UpdateName: workflows.UpdateAcknowledge, Args: []interface{}{ack},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &rec)
	}
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return rec, s.refuse(fmt.Sprintf("incident %s is not open", incidentID), "ack_no_incident")
		}
		if isRejection(err) {
			return rec, s.refuse(rejection(err), "ack_rejected")
		}
		return rec, fmt.Errorf("acknowledge %s: %w", incidentID, err)
	}
	return rec, nil
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
	s := d.s
	pending, err := s.pending(ctx, in.IncidentID)
	if err != nil {
		var refused *RefusedError
		if errors.As(err, &refused) {
			return slack.Reply{Text: refused.Reason}, nil
		}
		return slack.Reply{}, err
	}
	if in.ApprovalID != pending.ID {
		_ = s.refuse("stale approval click", "decision_stale", "incident", in.IncidentID, "approval", in.ApprovalID, "user", in.UserID)
		return slack.Reply{Text: "This approval is no longer pending."}, nil
	}
	req := workflows.DecisionRequest{ApprovalID: in.ApprovalID, Decision: in.Decision, Via: workflows.ViaSlack, UserID: in.UserID, UserName: in.UserName}
	if !slices.Contains(pending.Approvers, in.UserID) {
		group, err := s.groupOf(ctx, in.UserID, pending.Approvers)
		if err != nil {
			return slack.Reply{}, err
		}
		if group == "" {
			err := s.refuse(fmt.Sprintf("<@%s> is not an approver of this remediation", in.UserID), "decision_not_approver",
				"incident", in.IncidentID, "user", in.UserID)
			return slack.Reply{Text: err.Error()}, nil
		}
		req.Group = group
	}
	rec, err := s.Decide(ctx, in.IncidentID, req)
	if err != nil {
		var refused *RefusedError
		if errors.As(err, &refused) {
			return slack.Reply{Text: refused.Reason}, nil
		}
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
			return nil, s.refuse("This incident is over.", "decision_no_incident", "incident", incidentID)
		}
		return nil, fmt.Errorf("read incident %s: %w", incidentID, err)
	}
	var st incident.State
	if err := v.Get(&st); err != nil {
		return nil, fmt.Errorf("decode incident %s: %w", incidentID, err)
	}
	if st.Approval == nil || st.Approval.Status != incident.ApprovalPending {
		return nil, s.refuse("This approval was already decided or has expired.", "decision_not_pending", "incident", incidentID)
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

// DecisionBody is the JSON body of POST /api/v1/decisions and /api/v1/acks.
type DecisionBody struct {
	IncidentID string `json:"incident_id"`
	Decision   string `json:"decision,omitempty"`    // approve or deny (decisions only)
	ApprovalID string `json:"approval_id,omitempty"` // optional: the pending one by default
}

// Handler serves the operator API:
//
//	POST /api/v1/decisions {"incident_id": "...", "decision": "approve"|"deny"}
//	POST /api/v1/acks      {"incident_id": "..."}
//
// both with "Authorization: Bearer <operator token>".
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/decisions", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, true) })
	mux.HandleFunc("POST /api/v1/acks", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, false) })
	return mux
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request, decision bool) {
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(code int, metric, msg string) {
		if s.metrics != nil {
			s.metrics.Refusals.WithLabelValues(metric).Inc()
		}
		s.log.Warn("operator request refused", "reason", metric, "detail", msg, "remote", r.RemoteAddr)
		reply(code, map[string]string{"error": msg})
	}
	name, denied := s.operators.Authenticate(w, r)
	if denied != nil {
		fail(denied.Status, denied.Reason, denied.Detail)
		return
	}
	var body DecisionBody
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.IncidentID == "" || len(body.IncidentID) > 1000 {
		fail(http.StatusBadRequest, "operator_malformed", "want a JSON body with incident_id")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	var (
		result any
		err    error
	)
	if decision {
		if body.Decision != "approve" && body.Decision != "deny" {
			fail(http.StatusBadRequest, "operator_malformed", `decision must be "approve" or "deny"`)
			return
		}
		result, err = s.Decide(ctx, body.IncidentID, workflows.DecisionRequest{
			ApprovalID: body.ApprovalID, Decision: body.Decision, Via: workflows.ViaAPI, Operator: name,
		})
	} else {
		result, err = s.Acknowledge(ctx, body.IncidentID, workflows.AckRequest{By: "operator:" + name, Via: workflows.ViaAPI})
	}
	var refused *RefusedError
	switch {
	case errors.As(err, &refused):
		reply(http.StatusConflict, map[string]string{"error": refused.Reason})
	case err != nil:
		s.log.Error("operator request failed", "incident", body.IncidentID, "err", err)
		reply(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
	default:
		reply(http.StatusOK, result)
	}
}
