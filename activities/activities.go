// Package activities wires firebreak's activities onto a Temporal worker and
// holds the activity options the workflows use, so that timeouts and retry
// budgets are decided in one place rather than at every call site.
package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/remediate"
)

// Set is every activity implementation a worker serves.
type Set struct {
	Diagnose  *diagnose.Activities
	Remediate *remediate.Activities
	Escalate  *escalate.Activities
	Recorder  *Recorder
	Permits   *Permits
	// KubeDiagnose and KubeRemediate are the Kubernetes activities; they
	// are registered even without a cluster, and then fail with a
	// non-retryable "not configured" error that the incident records.
	KubeDiagnose  *diagnose.KubeActivities
	KubeRemediate *remediate.KubeActivities
}

// Register registers every activity of the set on w.
func Register(w worker.ActivityRegistry, s Set) {
	w.RegisterActivity(s.Diagnose)
	w.RegisterActivity(s.Remediate)
	w.RegisterActivity(s.Escalate)
	w.RegisterActivity(s.Recorder)
	w.RegisterActivity(s.Permits)
	kd, kr := s.KubeDiagnose, s.KubeRemediate
	if kd == nil {
		kd = &diagnose.KubeActivities{}
	}
	if kr == nil {
		kr = &remediate.KubeActivities{}
	}
	w.RegisterActivity(kd)
	w.RegisterActivity(kr)
}

// Query is for read-only queries (Prometheus). A few quick attempts: a
// diagnosis that cannot be made within half a minute escalates instead.
func Query(ctx workflow.Context) workflow.Context {
	return withRetries(ctx, 15*time.Second, time.Second, 5*time.Second, 3)
}

// withRetries sets a per-attempt timeout and a bounded exponential retry
// policy (doubling from initial up to maxInterval, at most attempts).
func withRetries(ctx workflow.Context, startToClose, initial, maxInterval time.Duration, attempts int32) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: startToClose,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    initial,
			BackoffCoefficient: 2,
			MaximumInterval:    maxInterval,
			MaximumAttempts:    attempts,
		},
	})
}

// Mutate is for actions. They are idempotent (they set an absolute value),
// so retrying is safe; the budget is bounded so a broken target escalates.
func Mutate(ctx workflow.Context) workflow.Context {
	return withRetries(ctx, 30*time.Second, time.Second, 10*time.Second, 5)
}

// KubeMutate is for Kubernetes actions: each attempt is one or two API
// calls, so a short per-attempt timeout lets a worker killed mid-action be
// noticed within seconds and the (idempotent) action retried elsewhere.
func KubeMutate(ctx workflow.Context) workflow.Context {
	return withRetries(ctx, 10*time.Second, time.Second, 10*time.Second, 5)
}

// KubeWait is for waiting on a rollout: one long attempt that heartbeats,
// so a lost worker is noticed within the heartbeat timeout.
func KubeWait(ctx workflow.Context, wait time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: wait + 30*time.Second,
		HeartbeatTimeout:    15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
	})
}

// Notify is for escalations: they must get out, so retries continue for up
// to five minutes, with exponential backoff (2s to 1m) so a dead destination
// is not hammered; each sink is its own activity, so one sink's retries
// never delay another's delivery.
func Notify(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    2 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// Deliver is one escalation delivery attempt. The workflow retries
// between attempts itself (recording each failure on the incident), so the
// activity is tried once, bounded by a timeout.
func Deliver(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 45 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// Chat is for Slack thread posts and approval buttons: a few quick
// attempts, never a retry storm; a failed post is recorded, and the
// incident goes on without it.
func Chat(ctx workflow.Context) workflow.Context {
	return withRetries(ctx, 15*time.Second, time.Second, 5*time.Second, 3)
}

// Record is for local bookkeeping activities (metrics).
func Record(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
}

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
