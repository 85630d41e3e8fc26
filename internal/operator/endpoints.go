package operator

import (
	"context"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/workflows"
)

// decide serves POST /api/v1/decisions: the decision reaches the same
// update as a Slack click, recorded as the operator via the API.
func decide(d Decider) func(context.Context, string, DecisionBody) (any, error) {
	return func(ctx context.Context, name string, b DecisionBody) (any, error) {
		if err := b.incident(); err != nil {
			return nil, err
		}
		if b.Decision != "approve" && b.Decision != "deny" {
			return nil, malformed(`decision must be "approve" or "deny"`)
		}
		return d.Decide(ctx, b.IncidentID, workflows.DecisionRequest{
			ApprovalID: b.ApprovalID, Decision: b.Decision, Via: workflows.ViaAPI, Operator: name,
		})
	}
}

// acknowledge serves POST /api/v1/acks.
func acknowledge(d Decider) func(context.Context, string, DecisionBody) (any, error) {
	return func(ctx context.Context, name string, b DecisionBody) (any, error) {
		if err := b.incident(); err != nil {
			return nil, err
		}
		return d.Acknowledge(ctx, b.IncidentID, workflows.AckRequest{By: By(name), Via: workflows.ViaAPI})
	}
}

// incident refuses a body that names no incident, or one no incident ID
// could be.
func (b DecisionBody) incident() error {
	if b.IncidentID == "" || len(b.IncidentID) > MaxIncidentIDBytes {
		return malformed("want %s", incidentShape)
	}
	return nil
}

// pause serves POST /api/v1/pause.
func pause(s Switch) func(context.Context, string, PauseBody) (any, error) {
	return func(ctx context.Context, name string, b PauseBody) (any, error) {
		if len(b.Reason) > MaxReasonBytes || !utf8.ValidString(b.Reason) {
			return nil, malformed("reason must be UTF-8 text of at most %d bytes", MaxReasonBytes)
		}
		return s.Pause(ctx, By(name), b.Reason)
	}
}
