// Package escalate hands an incident to humans. It owns the small interface
// every destination implements (Sink) and the activity that fans an
// escalation out to the destinations a runbook names, so that one failing
// destination never silences the others.
//
// The first destination is a structured record: one JSON object per
// escalation, logged and appended to a file, carrying everything the
// incident collected (diagnosis, actions with prior values, failed checks).
package escalate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

// Sink is one escalation destination.
type Sink interface {
	// Name identifies the sink in records and metrics.
	Name() string
	// Send delivers the escalation. It must be safe to call again with the
	// same escalation (activities retry): sinks deduplicate on
	// Escalation.IncidentID where the destination allows it.
	Send(ctx context.Context, e Escalation) error
}

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

// Input is the Escalate activity's input.
type Input struct {
	Escalation Escalation
	// Sinks names the destinations to use, in order. Empty means "record".
	Sinks []string
}

// Result says, per sink, whether the escalation got there.
type Result struct {
	Delivered []string
	Failed    map[string]string
}

// Activities holds the escalation destinations of one worker.
type Activities struct {
	Sinks map[string]Sink
	Log   *slog.Logger
}

// Escalate sends the escalation to every requested sink. It fails only when
// no sink delivered, so that Temporal retries the call; a partial failure is
// reported in the result and recorded on the incident instead.
func (a *Activities) Escalate(ctx context.Context, in Input) (Result, error) {
	names := in.Sinks
	if len(names) == 0 {
		names = []string{RecordSinkName}
	}
	res := Result{Failed: map[string]string{}}
	for _, name := range names {
		s, ok := a.Sinks[name]
		if !ok {
			res.Failed[name] = "sink not configured"
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := s.Send(sctx, in.Escalation)
		cancel()
		if err != nil {
			res.Failed[name] = err.Error()
			a.logger().Warn("escalation sink failed", "incident", in.Escalation.IncidentID, "sink", name, "err", err)
			continue
		}
		res.Delivered = append(res.Delivered, name)
	}
	if len(res.Delivered) == 0 {
		var unknown int
		for _, msg := range res.Failed {
			if msg == "sink not configured" {
				unknown++
			}
		}
		err := fmt.Errorf("escalate %s: no sink delivered: %v", in.Escalation.IncidentID, res.Failed)
		if unknown == len(res.Failed) {
			return res, temporal.NewNonRetryableApplicationError(err.Error(), "escalate-no-sink", errors.New("no configured sink"))
		}
		return res, err
	}
	return res, nil
}

func (a *Activities) logger() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
