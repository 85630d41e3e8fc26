// Package escalate hands an incident to humans. It owns the small
// interfaces it needs from chat (ThreadPoster, ApprovalPoster) and paging
// (Pager) integrations, the adapters that plug integrations/slack and
// integrations/pagerduty into them (SlackChat, PagerDutyPager), and the
// activities the workflow calls: one escalation step at a time (so one
// failing destination never silences another), the incident's Slack
// thread, approval buttons, and resolving pages.
//
// The destination that always works is the structured record: one JSON
// object per escalation, logged and appended to a file, carrying the
// incident's bounded Summary (diagnosis, actions with prior values, the
// latest checks and timeline).
//
// Each activity call makes one attempt at each outbound call; Temporal
// (the workflow's recorded attempts, or the activity's retry policy) is the
// only retry layer. Failures come back classified: refusals no repeat can
// change are non-retryable, and a rate limit's Retry-After becomes the
// next attempt's delay.
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
	// Record is the incident's bounded summary (SummaryOf), never the
	// whole record: every attempt of every step carries it.
	Record Summary
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

// Activities holds the escalation destinations of one worker. A nil
// Threads, Approvals or Pager means that integration is not configured;
// steps that need it fail without retrying and the incident records why.
type Activities struct {
	Record    *RecordSink
	Threads   ThreadPoster   // the incident's header message and thread
	Approvals ApprovalPoster // approval buttons
	Pager     Pager
	Log       *slog.Logger
}

// Escalate delivers the escalation through one step's sink, in one
// attempt.
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
		if a.Threads == nil {
			return notConfigured("slack", ErrTypeChatNotConfigured)
		}
		if err := a.postEscalation(ctx, in.Step, e); err != nil {
			return deliveryError(fmt.Sprintf("escalate %s to slack %s", e.IncidentID, in.Step.Channel), err)
		}
		return nil
	case "pagerduty":
		if a.Pager == nil {
			return notConfigured("pagerduty", ErrTypePagerNotConfigured)
		}
		if err := a.Pager.Trigger(ctx, in.Step.Service, in.Step.Severity, e); err != nil {
			return deliveryError("escalate "+e.IncidentID+" to pagerduty", err)
		}
		return nil
	default:
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown escalation sink %q", in.Step.Sink), "escalate-unknown-sink", nil)
	}
}

// postEscalation posts into the incident's thread when there is one
// (updating its header), else a new header message.
func (a *Activities) postEscalation(ctx context.Context, step Step, e Escalation) error {
	h := e.Record.Header(e.TimelineURL)
	if step.Thread == nil {
		_, err := a.Threads.PostIncident(ctx, step.Channel, h)
		return err
	}
	if err := a.Threads.UpdateIncident(ctx, *step.Thread, h); err != nil {
		return err
	}
	return a.Threads.PostThread(ctx, *step.Thread, "Escalated: "+e.Reason)
}

func (a *Activities) logger() *slog.Logger { return logging.OrDefault(a.Log) }
