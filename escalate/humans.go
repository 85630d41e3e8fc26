package escalate

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

// ThreadPoster is what the incident's thread needs from a chat
// integration: a header message that stays current, with every later
// step a reply in its thread. integrations/slack provides it (SlackChat).
type ThreadPoster interface {
	PostIncident(ctx context.Context, channel string, h Header) (incident.SlackMessage, error)
	UpdateIncident(ctx context.Context, msg incident.SlackMessage, h Header) error
	PostThread(ctx context.Context, msg incident.SlackMessage, text string) error
}

// ApprovalPoster is what approvals need from a chat integration: buttons
// in the incident's thread, replaced by the outcome once decided.
type ApprovalPoster interface {
	PostApproval(ctx context.Context, thread incident.SlackMessage, incidentID string, a incident.ApprovalRecord, actions []string) (incident.SlackMessage, error)
	CloseApproval(ctx context.Context, msg incident.SlackMessage, a incident.ApprovalRecord) error
}

// Pager is what escalation needs from a paging integration: open an
// incident keyed by firebreak's incident ID, and resolve it.
type Pager interface {
	Trigger(ctx context.Context, service, severity string, e Escalation) error
	Resolve(ctx context.Context, service, incidentID string) error
}

// Error types of the human-facing activities, stable for workflows.
const (
	ErrTypeChatNotConfigured  = "chat-not-configured"
	ErrTypePagerNotConfigured = "pager-not-configured"
)

func notConfigured(what, errType string) error {
	return temporal.NewNonRetryableApplicationError(what+" is not configured on this worker", errType, errors.New(what+" not configured"))
}

// NotifyInput posts or updates an incident's Slack thread. It is bounded:
// the header, not the record, so a long incident's history grows with its
// number of posts, not with their square.
type NotifyInput struct {
	Channel string
	// Thread is the header message; nil posts it.
	Thread *incident.SlackMessage
	// Header is what the header message shows (HeaderOf).
	Header Header
	// Text, when set, is posted as a reply in the thread.
	Text string
	// Record is the whole incident record that workflows sent before inputs
	// were bounded. It is never sent; it is read only so that a post such
	// a workflow scheduled, still pending when this worker picks it up,
	// shows its header (without the timeline link) instead of an empty one.
	Record *incident.State `json:",omitempty"`
}

// header is the header to show, from Header or, for a post scheduled
// before inputs were bounded, from the record it carried.
func header(h Header, legacy *incident.State) Header {
	if h.IncidentID == "" && legacy != nil {
		return HeaderOf(*legacy, "")
	}
	return h
}

// Notify keeps the incident's Slack header current and posts Text in its
// thread, posting the header first when there is none. It returns the
// header message.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) (incident.SlackMessage, error) {
	if a.Threads == nil {
		return incident.SlackMessage{}, notConfigured("slack", ErrTypeChatNotConfigured)
	}
	h := header(in.Header, in.Record)
	id := h.IncidentID
	var msg incident.SlackMessage
	if in.Thread == nil {
		m, err := a.Threads.PostIncident(ctx, in.Channel, h)
		if err != nil {
			return msg, deliveryError(fmt.Sprintf("post incident %s to %s", id, in.Channel), err)
		}
		msg = m
	} else {
		msg = *in.Thread
		if err := a.Threads.UpdateIncident(ctx, msg, h); err != nil {
			return msg, deliveryError("update incident "+id, err)
		}
	}
	if in.Text != "" {
		if err := a.Threads.PostThread(ctx, msg, in.Text); err != nil {
			return msg, deliveryError("post to the thread of "+id, err)
		}
	}
	return msg, nil
}

// ApprovalInput asks for an approval in chat.
type ApprovalInput struct {
	Channel  string
	Thread   *incident.SlackMessage
	Approval incident.ApprovalRecord
	// Header is posted first when the incident has no thread yet.
	Header Header
	// Actions are what the remediation will do, one line each (ActionLine);
	// none says "run remediation …".
	Actions []string
	// Record is read only from requests scheduled before inputs were
	// bounded, as NotifyInput.Record is.
	Record *incident.State `json:",omitempty"`
}

// RequestApproval posts the Approve/Deny buttons in the incident's thread,
// posting its header first when it has none, and returns their message.
func (a *Activities) RequestApproval(ctx context.Context, in ApprovalInput) (incident.SlackMessage, error) {
	if a.Threads == nil || a.Approvals == nil {
		return incident.SlackMessage{}, notConfigured("slack", ErrTypeChatNotConfigured)
	}
	op := "post approval " + in.Approval.ID
	h := header(in.Header, in.Record)
	actions := in.Actions
	if len(actions) == 0 && in.Record != nil {
		actions = ActionLines(in.Record.Actions)
	}
	var parent incident.SlackMessage
	if in.Thread != nil {
		parent = *in.Thread
	} else {
		p, err := a.Threads.PostIncident(ctx, in.Channel, h)
		if err != nil {
			return incident.SlackMessage{}, deliveryError(op, err)
		}
		parent = p
	}
	if len(actions) == 0 {
		actions = []string{fmt.Sprintf("run remediation %q", in.Approval.Remediation)}
	}
	m, err := a.Approvals.PostApproval(ctx, parent, h.IncidentID, in.Approval, actions)
	if err != nil {
		return m, deliveryError(op, err)
	}
	return m, nil
}

// CloseApprovalInput replaces approval buttons with the outcome.
type CloseApprovalInput struct {
	Approval incident.ApprovalRecord
}

// CloseApproval replaces the buttons with who decided what and when.
func (a *Activities) CloseApproval(ctx context.Context, in CloseApprovalInput) error {
	if a.Approvals == nil {
		return notConfigured("slack", ErrTypeChatNotConfigured)
	}
	if in.Approval.Message == nil {
		return nil
	}
	if err := a.Approvals.CloseApproval(ctx, *in.Approval.Message, in.Approval); err != nil {
		return deliveryError("close approval "+in.Approval.ID, err)
	}
	return nil
}

// ResolveInput tells paging sinks that the incident is over.
type ResolveInput struct {
	IncidentID string
	Services   []string // PagerDuty services that were triggered
}

// Resolve resolves the incident in every paging service it was triggered
// in, with the same dedup key. Resolving again is harmless, so a retry
// repeats every service.
func (a *Activities) Resolve(ctx context.Context, in ResolveInput) error {
	if a.Pager == nil {
		return notConfigured("pagerduty", ErrTypePagerNotConfigured)
	}
	var errs []error
	for _, svc := range in.Services {
		if err := a.Pager.Resolve(ctx, svc, in.IncidentID); err != nil {
			errs = append(errs, fmt.Errorf("pagerduty service %q: %w", svc, err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return deliveryError("resolve "+in.IncidentID, errors.Join(errs...))
}
