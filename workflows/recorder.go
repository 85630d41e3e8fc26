package workflows

import (
	"context"
	"time"

	"github.com/firebreak-dev/firebreak/internal/metrics"
)

// Recorder turns incident events into engine metrics. It runs as a local
// activity so that replays never count an event twice.
type Recorder struct {
	Metrics *metrics.Metrics
}

// ActionEvent reports one action's result.
type ActionEvent struct {
	Runbook       string
	Kind          string
	Result        string // applied, unchanged, dry_run, failed
	First         bool
	AlertStartsAt time.Time
	At            time.Time
}

// RecordAction counts an action and, for an incident's first, the time
// from the alert's start.
func (r *Recorder) RecordAction(_ context.Context, e ActionEvent) error {
	if r == nil || r.Metrics == nil {
		return nil
	}
	r.Metrics.Actions.WithLabelValues(e.Kind, e.Result).Inc()
	if e.First && !e.AlertStartsAt.IsZero() && e.At.After(e.AlertStartsAt) {
		r.Metrics.AlertToAction.WithLabelValues(e.Runbook).Observe(e.At.Sub(e.AlertStartsAt).Seconds())
	}
	return nil
}

// OutcomeEvent reports an incident's outcome.
type OutcomeEvent struct {
	Runbook       string
	Outcome       string
	AlertStartsAt time.Time
	At            time.Time
}

// RecordOutcome counts an outcome and, for resolved ones, the time from the
// alert's start.
func (r *Recorder) RecordOutcome(_ context.Context, e OutcomeEvent) error {
	if r == nil || r.Metrics == nil {
		return nil
	}
	r.Metrics.Incidents.WithLabelValues(e.Runbook, e.Outcome).Inc()
	if e.Outcome == "resolved" && !e.AlertStartsAt.IsZero() && e.At.After(e.AlertStartsAt) {
		r.Metrics.AlertToResolved.WithLabelValues(e.Runbook).Observe(e.At.Sub(e.AlertStartsAt).Seconds())
	}
	return nil
}
