// Package escalate hands an incident to humans. It owns the small
// interfaces it needs from chat (Chat) and paging (Pager) integrations, and
// the activities the workflow calls: one escalation step at a time (so one
// failing destination never silences another), the incident's Slack thread,
// approval buttons, and resolving pages.
//
// The destination that always works is the structured record: one JSON
// object per escalation, logged and appended to a file, carrying everything
// the incident collected (diagnosis, actions with prior values, failed
// checks).
package escalate

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/logging"
)

// Escalation is what a sink receives.
type Escalation struct {
	IncidentID string
	Runbook    string
	Reason     string
	Level      string
	Record     incident.State
	// TimelineURL links the incident's history, when known.
	TimelineURL string `json:",omitempty"`
}

// Step is one escalation step as the activity needs it.
type Step struct {
	Sink     string                 // "log", "slack" or "pagerduty"
	Channel  string                 // slack: where to post
	Service  string                 // pagerduty: the service whose routing key to use ("" = default)
	Severity string                 // pagerduty: override; "" = from the alert
	Thread   *incident.SlackMessage `json:",omitempty"` // slack: the incident's thread, if any
}

// Input is the Escalate activity's input: one step, so that each sink has
// its own retries and one failing never holds up another.
type Input struct {
	Escalation Escalation
	Step       Step
}

// Activities holds the escalation destinations of one worker. A nil Chat or
// Pager means that integration is not configured; steps that need it fail
// without retrying and the incident records why.
type Activities struct {
	Record *RecordSink
	Chat   Chat
	Pager  Pager
	Log    *slog.Logger
}

// Escalate delivers the escalation through one step's sink.
func (a *Activities) Escalate(ctx context.Context, in Input) error {
	e := in.Escalation
	switch in.Step.Sink {
	case "", RecordSinkName:
		rs := a.Record
		if rs == nil {
			rs = &RecordSink{Log: a.logger()}
		}
		return rs.Send(ctx, e)
	case "slack":
		if a.Chat == nil {
			return notConfigured("slack", ErrTypeChatNotConfigured)
		}
		if err := a.Chat.PostEscalation(ctx, in.Step.Channel, in.Step.Thread, e); err != nil {
			return fmt.Errorf("escalate %s to slack %s: %w", e.IncidentID, in.Step.Channel, err)
		}
		return nil
	case "pagerduty":
		if a.Pager == nil {
			return notConfigured("pagerduty", ErrTypePagerNotConfigured)
		}
		if err := a.Pager.Trigger(ctx, in.Step.Service, in.Step.Severity, e); err != nil {
			return fmt.Errorf("escalate %s to pagerduty: %w", e.IncidentID, err)
		}
		return nil
	default:
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown escalation sink %q", in.Step.Sink), "escalate-unknown-sink", nil)
	}
}

func (a *Activities) logger() *slog.Logger { return logging.OrDefault(a.Log) }
