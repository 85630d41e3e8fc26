package escalate

import (
	"context"

	"github.com/firebreak-dev/firebreak/integrations/slack"
	"github.com/firebreak-dev/firebreak/internal/incident"
)

// SlackChat plugs a Slack workspace into the incident's thread
// (ThreadPoster) and approvals (ApprovalPoster). The composition root
// builds it once, complete; what it posts (the timeline link included)
// comes in each activity's input.
type SlackChat struct {
	Client *slack.Client
}

var (
	_ ThreadPoster   = (*SlackChat)(nil)
	_ ApprovalPoster = (*SlackChat)(nil)
)

// message is the Slack header message showing h.
func message(h Header) slack.IncidentMessage {
	m := slack.IncidentMessage{
		IncidentID: h.IncidentID, Runbook: h.Runbook, Title: h.Title, Severity: h.Severity, Summary: h.Summary,
		Phase: h.Phase, Outcome: h.Outcome, Reason: h.Reason, Actions: h.Actions,
		TimelineURL: h.TimelineURL, GeneratorURL: h.GeneratorURL,
	}
	for _, f := range h.Diagnosis {
		m.Diagnosis = append(m.Diagnosis, slack.Field{Name: f.Name, Value: f.Value})
	}
	return m
}

func ref(m incident.SlackMessage) slack.MessageRef {
	return slack.MessageRef{Channel: m.Channel, TS: m.TS}
}

func fromRef(r slack.MessageRef) incident.SlackMessage {
	return incident.SlackMessage{Channel: r.Channel, TS: r.TS}
}

// PostIncident implements ThreadPoster.
func (s *SlackChat) PostIncident(ctx context.Context, channel string, h Header) (incident.SlackMessage, error) {
	r, err := s.Client.PostIncident(ctx, channel, message(h))
	return fromRef(r), err
}

// UpdateIncident implements ThreadPoster.
func (s *SlackChat) UpdateIncident(ctx context.Context, msg incident.SlackMessage, h Header) error {
	return s.Client.UpdateIncident(ctx, ref(msg), message(h))
}

// PostThread implements ThreadPoster.
func (s *SlackChat) PostThread(ctx context.Context, msg incident.SlackMessage, text string) error {
	_, err := s.Client.PostThread(ctx, ref(msg), text)
	return err
}

// PostApproval implements ApprovalPoster: the buttons go in the thread.
func (s *SlackChat) PostApproval(ctx context.Context, thread incident.SlackMessage, incidentID string, a incident.ApprovalRecord, actions []string) (incident.SlackMessage, error) {
	r, err := s.Client.PostApproval(ctx, ref(thread), slack.ApprovalRequest{
		IncidentID: incidentID, ApprovalID: a.ID, Remediation: a.Remediation, Actions: actions,
		Approvers: a.Approvers, MinApprovals: a.MinApprovals, Expires: a.ExpiresAt,
	})
	return fromRef(r), err
}

// CloseApproval implements ApprovalPoster.
func (s *SlackChat) CloseApproval(ctx context.Context, msg incident.SlackMessage, a incident.ApprovalRecord) error {
	by := make([]slack.Decision, 0, len(a.Decisions))
	for _, d := range a.Decisions {
		by = append(by, slack.Decision{UserID: d.By, UserName: d.Name, Decision: d.Decision, At: d.At})
	}
	return s.Client.ReplaceApproval(ctx, ref(msg), a.Status, by)
}
