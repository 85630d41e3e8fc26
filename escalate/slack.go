package escalate

import (
	"context"
	"fmt"

	"github.com/firebreak-dev/firebreak/integrations/slack"
	"github.com/firebreak-dev/firebreak/internal/incident"
)

// SlackChat is the Chat of a Slack workspace. TimelineURL, when set, turns
// an incident ID into a link to its history in the Temporal Web UI.
type SlackChat struct {
	Client      *slack.Client
	TimelineURL func(incidentID string) string
}

var _ Chat = (*SlackChat)(nil)

func (s *SlackChat) message(st incident.State) slack.IncidentMessage {
	url := ""
	if s.TimelineURL != nil {
		url = s.TimelineURL(st.IncidentID)
	}
	return slack.MessageFromState(st, url)
}

func ref(m incident.SlackMessage) slack.MessageRef {
	return slack.MessageRef{Channel: m.Channel, TS: m.TS}
}

func fromRef(r slack.MessageRef) incident.SlackMessage {
	return incident.SlackMessage{Channel: r.Channel, TS: r.TS}
}

// PostIncident implements Chat.
func (s *SlackChat) PostIncident(ctx context.Context, channel string, st incident.State) (incident.SlackMessage, error) {
	r, err := s.Client.PostIncident(ctx, channel, s.message(st))
	return fromRef(r), err
}

// UpdateIncident implements Chat.
func (s *SlackChat) UpdateIncident(ctx context.Context, msg incident.SlackMessage, st incident.State) error {
	return s.Client.UpdateIncident(ctx, ref(msg), s.message(st))
}

// PostThread implements Chat.
func (s *SlackChat) PostThread(ctx context.Context, msg incident.SlackMessage, text string) error {
	_, err := s.Client.PostThread(ctx, ref(msg), text)
	return err
}

// PostApproval implements Chat: the buttons go in the incident's thread,
// whose header is posted first when the incident has none yet.
func (s *SlackChat) PostApproval(ctx context.Context, channel string, thread *incident.SlackMessage, a incident.ApprovalRecord, st incident.State) (incident.SlackMessage, error) {
	var parent incident.SlackMessage
	if thread != nil {
		parent = *thread
	} else {
		p, err := s.PostIncident(ctx, channel, st)
		if err != nil {
			return incident.SlackMessage{}, err
		}
		parent = p
	}
	actions := make([]string, 0, len(st.Actions))
	for _, act := range st.Actions {
		actions = append(actions, slack.ActionLine(act))
	}
	if len(actions) == 0 {
		actions = append(actions, fmt.Sprintf("run remediation %q", a.Remediation))
	}
	r, err := s.Client.PostApproval(ctx, ref(parent), slack.ApprovalRequest{
		IncidentID: st.IncidentID, ApprovalID: a.ID, Remediation: a.Remediation, Actions: actions,
		Approvers: a.Approvers, MinApprovals: a.MinApprovals, Expires: a.ExpiresAt,
	})
	return fromRef(r), err
}

// CloseApproval implements Chat.
func (s *SlackChat) CloseApproval(ctx context.Context, msg incident.SlackMessage, a incident.ApprovalRecord) error {
	by := make([]slack.Decision, 0, len(a.Decisions))
	for _, d := range a.Decisions {
		by = append(by, slack.Decision{UserID: d.By, UserName: d.Name, Decision: d.Decision, At: d.At})
	}
	return s.Client.ReplaceApproval(ctx, ref(msg), a.Status, by)
}

// PostEscalation implements Chat: into the incident's thread when there is
// one (updating its header), else as a new header message.
func (s *SlackChat) PostEscalation(ctx context.Context, channel string, thread *incident.SlackMessage, e Escalation) error {
	if thread == nil {
		_, err := s.PostIncident(ctx, channel, e.Record)
		return err
	}
	if err := s.UpdateIncident(ctx, *thread, e.Record); err != nil {
		return err
	}
	return s.PostThread(ctx, *thread, "Escalated: "+e.Reason)
}
