package escalate

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

// Chat is what escalation needs from a chat integration: an incident
// header message whose thread carries every later step, and approval
// buttons. integrations/slack provides it (see NewSlackChat).
type Chat interface {
	PostIncident(ctx context.Context, channel string, st incident.State) (incident.SlackMessage, error)
	UpdateIncident(ctx context.Context, msg incident.SlackMessage, st incident.State) error
	PostThread(ctx context.Context, msg incident.SlackMessage, text string) error
	PostApproval(ctx context.Context, channel string, thread *incident.SlackMessage, a incident.ApprovalRecord, st incident.State) (incident.SlackMessage, error)
	CloseApproval(ctx context.Context, msg incident.SlackMessage, a incident.ApprovalRecord) error
	PostEscalation(ctx context.Context, channel string, thread *incident.SlackMessage, e Escalation) error
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

// NotifyInput posts or updates an incident's Slack thread.
type NotifyInput struct {
	Channel string
	// Thread is the header message; nil posts it.
	Thread *incident.SlackMessage
	Record incident.State
	// Text, when set, is posted as a reply in the thread.
	Text string
}

// Notify keeps the incident's Slack header current and posts Text in its
// thread, posting the header first when there is none. It returns the
// header message.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) (incident.SlackMessage, error) {
	if a.Chat == nil {
		return incident.SlackMessage{}, notConfigured("slack", ErrTypeChatNotConfigured)
	}
	var msg incident.SlackMessage
	if in.Thread == nil {
		m, err := a.Chat.PostIncident(ctx, in.Channel, in.Record)
		if err != nil {
			return msg, fmt.Errorf("post incident %s to %s: %w", in.Record.IncidentID, in.Channel, err)
		}
		msg = m
	} else {
		msg = *in.Thread
		if err := a.Chat.UpdateIncident(ctx, msg, in.Record); err != nil {
			return msg, fmt.Errorf("update incident %s: %w", in.Record.IncidentID, err)
		}
	}
	if in.Text != "" {
		if err := a.Chat.PostThread(ctx, msg, in.Text); err != nil {
			return msg, fmt.Errorf("post to the thread of %s: %w", in.Record.IncidentID, err)
		}
	}
	return msg, nil
}

// ApprovalInput asks for an approval in chat.
type ApprovalInput struct {
	Channel  string
	Thread   *incident.SlackMessage
	Approval incident.ApprovalRecord
	Record   incident.State
}

// RequestApproval posts the Approve/Deny buttons and returns their message.
func (a *Activities) RequestApproval(ctx context.Context, in ApprovalInput) (incident.SlackMessage, error) {
	if a.Chat == nil {
		return incident.SlackMessage{}, notConfigured("slack", ErrTypeChatNotConfigured)
	}
	m, err := a.Chat.PostApproval(ctx, in.Channel, in.Thread, in.Approval, in.Record)
	if err != nil {
		return m, fmt.Errorf("post approval %s: %w", in.Approval.ID, err)
	}
	return m, nil
}

// CloseApprovalInput replaces approval buttons with the outcome.
type CloseApprovalInput struct {
	Approval incident.ApprovalRecord
}

// CloseApproval replaces the buttons with who decided what and when.
func (a *Activities) CloseApproval(ctx context.Context, in CloseApprovalInput) error {
	if a.Chat == nil {
		return notConfigured("slack", ErrTypeChatNotConfigured)
	}
	if in.Approval.Message == nil {
		return nil
	}
	if err := a.Chat.CloseApproval(ctx, *in.Approval.Message, in.Approval); err != nil {
		return fmt.Errorf("close approval %s: %w", in.Approval.ID, err)
	}
	return nil
}

// ResolveInput tells paging sinks that the incident is over.
type ResolveInput struct {
	IncidentID string
	Services   []string // PagerDuty services that were triggered
}

// Resolve resolves the incident in every paging service it was triggered
// in, with the same dedup key.
func (a *Activities) Resolve(ctx context.Context, in ResolveInput) error {
	if a.Pager == nil {
		return notConfigured("pagerduty", ErrTypePagerNotConfigured)
	}
	var errs []error
	for _, svc := range in.Services {
		if err := a.Pager.Resolve(ctx, svc, in.IncidentID); err != nil {
			errs = append(errs, fmt.Errorf("resolve %s in pagerduty service %q: %w", in.IncidentID, svc, err))
		}
	}
	return errors.Join(errs...)
}
