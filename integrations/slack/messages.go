package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// MessageRef names a posted message, so later steps can update it or reply
// in its thread. Both fields come from Slack's answer.
type MessageRef struct {
	Channel string // the channel ID Slack posted into
	TS      string // the message's timestamp, Slack's message ID
}

// PostIncident posts an incident's header message into channel; the caller
// keeps the returned ref and updates it. Slack has no idempotency key, so a
// post that timed out may have been made: repeating it may post twice.
func (c *Client) PostIncident(ctx context.Context, channel string, m IncidentMessage) (MessageRef, error) {
	op := fmt.Sprintf("slack post incident %s", m.IncidentID)
	return c.post(ctx, op, channel, slack.MsgOptionBlocks(IncidentBlocks(m)...), slack.MsgOptionText(fallback(m), false))
}

// UpdateIncident rewrites the header message at ref to show m.
func (c *Client) UpdateIncident(ctx context.Context, ref MessageRef, m IncidentMessage) error {
	op := fmt.Sprintf("slack update incident %s", m.IncidentID)
	return c.update(ctx, op, ref, slack.MsgOptionBlocks(IncidentBlocks(m)...), slack.MsgOptionText(fallback(m), false))
}

// PostThread replies text (mrkdwn, escaped) in the thread of ref.
func (c *Client) PostThread(ctx context.Context, ref MessageRef, text string) (MessageRef, error) {
	if ref.TS == "" {
		return MessageRef{}, errors.New("slack post thread: parent message has no timestamp")
	}
	return c.post(ctx, "slack post thread "+ref.TS, ref.Channel,
		slack.MsgOptionText(truncate(escape(text), maxSectionText), false), slack.MsgOptionTS(ref.TS))
}

// PostApproval posts an approval request with Approve and Deny buttons in
// the thread of ref (the incident's header message).
func (c *Client) PostApproval(ctx context.Context, ref MessageRef, a ApprovalRequest) (MessageRef, error) {
	op := fmt.Sprintf("slack post approval %s/%s", a.IncidentID, a.ApprovalID)
	if ref.TS == "" {
		return MessageRef{}, fmt.Errorf("%s: parent message has no timestamp", op)
	}
	blocks, err := ApprovalBlocks(a)
	if err != nil {
		return MessageRef{}, fmt.Errorf("%s: %w", op, err)
	}
	return c.post(ctx, op, ref.Channel, slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionText(escape("Approval needed: "+a.Remediation), false), slack.MsgOptionTS(ref.TS))
}

// ReplaceApproval replaces the approval message at ref (its buttons
// included) with the outcome and who decided what and when, so nobody can
// click a decided approval.
func (c *Client) ReplaceApproval(ctx context.Context, ref MessageRef, outcome string, by []Decision) error {
	return c.update(ctx, "slack replace approval "+ref.TS, ref,
		slack.MsgOptionBlocks(DecisionBlocks(outcome, by)...), slack.MsgOptionText(escape("Approval "+outcome), false))
}

// ResolveApprovers expands approver IDs into the set of user IDs allowed to
// decide: user IDs (U…, W…) as they are, user groups (S…) through
// usergroups.users.list, cached for the client's cache TTL.
func (c *Client) ResolveApprovers(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		switch {
		case !slackIDRe.MatchString(id):
			return nil, fmt.Errorf("slack resolve approvers: %q is neither a user nor a user group ID", id)
		case id[0] == 'S':
			users, err := c.groupMembers(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, u := range users {
				out[u] = true
			}
		default:
			out[id] = true
		}
	}
	return out, nil
}

func (c *Client) groupMembers(ctx context.Context, id string) ([]string, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.groups[id]
	c.mu.Unlock()
	if ok && c.cacheTTL > 0 && now.Sub(e.at) < c.cacheTTL {
		return e.users, nil
	}
	var users []string
	err := c.call(ctx, "slack list user group "+id, func(ctx context.Context) error {
		var err error
		users, err = c.api.GetUserGroupMembersContext(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.groups[id] = groupEntry{users: users, at: now}
	c.mu.Unlock()
	return users, nil
}

func (c *Client) post(ctx context.Context, op, channel string, opts ...slack.MsgOption) (MessageRef, error) {
	if channel == "" {
		return MessageRef{}, fmt.Errorf("%s: no channel", op)
	}
	var ref MessageRef
	err := c.call(ctx, op, func(ctx context.Context) error {
		ch, ts, err := c.api.PostMessageContext(ctx, channel, opts...)
		ref = MessageRef{Channel: ch, TS: ts}
		return err
	})
	if err != nil {
		return MessageRef{}, err
	}
	return ref, nil
}

// update sets the message's whole content, so repeating it is harmless.
func (c *Client) update(ctx context.Context, op string, ref MessageRef, opts ...slack.MsgOption) error {
	if ref.Channel == "" || ref.TS == "" {
		return fmt.Errorf("%s: incomplete message reference %+v", op, ref)
	}
	return c.call(ctx, op, func(ctx context.Context) error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, opts...)
		return err
	})
}

// fallback is the notification text for clients that cannot show blocks.
func fallback(m IncidentMessage) string {
	parts := []string{"firebreak:", m.Title}
	if m.Severity != "" {
		parts = append(parts, "("+m.Severity+")")
	}
	state := m.Phase
	if m.Outcome != "" {
		state = m.Outcome
	}
	if state != "" {
		parts = append(parts, "–", state)
	}
	return escape(strings.Join(parts, " "))
}
