package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Activity options: every timeout and retry budget the workflows give
// their activities, decided here rather than at each call site. Temporal's
// retry policy is the one retry layer for every outbound call: the
// clients behind the activities make one attempt per call (see
// docs/escalation.md for the table).

// queryOpts is for read-only queries (Prometheus, Kubernetes reads, a
// target's state). A few quick attempts: a diagnosis that cannot be made
// within half a minute escalates instead.
func queryOpts(ctx workflow.Context) workflow.Context {
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

// mutateOpts is for actions and for signalling the ledgers. They are
// idempotent (they set an absolute value, or deliver a request the ledger
// recognises), so retrying is safe; the budget is bounded so a broken
// target escalates.
func mutateOpts(ctx workflow.Context) workflow.Context {
	return withRetries(ctx, 30*time.Second, time.Second, 10*time.Second, 5)
}

// kubeMutateOpts is for Kubernetes actions: each attempt is one or two API
// calls, so a short per-attempt timeout lets a worker killed mid-action be
// noticed within seconds and the (idempotent) action retried elsewhere.
func kubeMutateOpts(ctx workflow.Context) workflow.Context {
	return withRetries(ctx, 10*time.Second, time.Second, 10*time.Second, 5)
}

// kubeWaitOpts is for waiting on a rollout: one long attempt that
// heartbeats, so a lost worker is noticed within the heartbeat timeout.
func kubeWaitOpts(ctx workflow.Context, wait time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: wait + 30*time.Second,
		HeartbeatTimeout:    15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
	})
}

// notifyOpts is for deliveries that must get out (the storm's grouped
// escalation, resolving pages): retries continue for up to five minutes,
// with exponential backoff (2s to 1m) so a dead destination is not
// hammered; each sink is its own activity, so one sink's retries never
// delay another's delivery.
func notifyOpts(ctx workflow.Context) workflow.Context {
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

// deliverOpts is one escalation delivery attempt. The workflow retries
// between attempts itself (recording each failure on the incident), so the
// activity is tried once, bounded by a timeout.
func deliverOpts(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 45 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// chatOpts is for Slack thread posts and approval buttons: a few quick
// attempts, never a retry storm; a failed post is recorded, and the
// incident goes on without it.
func chatOpts(ctx workflow.Context) workflow.Context {
	return withRetries(ctx, 15*time.Second, time.Second, 5*time.Second, 3)
}

// recordOpts is for local bookkeeping activities (metrics).
func recordOpts(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
}

// Short calls on the way to the first action run as local activities in
// incidents started since GetVersion("local-reads"): a Prometheus
// diagnosis query, PgBouncer's pool read before an action, and the signals that
// ask the Control workflow and a target's ledger for leave to act. A local
// activity runs in the worker that holds the workflow task and is recorded
// with the task's completion, so it costs no task-queue round trip (a
// regular activity costs a schedule, a dispatch, a completion and a new
// workflow task, each a write). Only short, idempotent calls qualify: a
// local activity may run again if the worker dies before the task
// completes, and these are reads, or requests the Control workflow and
// the ledger recognise as repeats. Mutations stay regular activities, each
// attempt recorded on its own.

// localKey marks a workflow context whose incident uses local reads.
type localKey struct{}

// withLocalReads marks ctx so that readCall and requestCall run local
// activities.
func withLocalReads(ctx workflow.Context) workflow.Context {
	return workflow.WithValue(ctx, localKey{}, true)
}

func localReads(ctx workflow.Context) bool {
	v, _ := ctx.Value(localKey{}).(bool)
	return v
}

// readCall runs a read-only query: with queryOpts' budget, locally when
// the incident uses local reads.
func readCall(ctx workflow.Context, activity any, args ...any) workflow.Future {
	if localReads(ctx) {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: 15 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second, MaximumAttempts: 3},
		}), activity, args...)
	}
	return workflow.ExecuteActivity(queryOpts(ctx), activity, args...)
}

// requestCall sends a request to another workflow (the Control workflow,
// a target's ledger): with mutateOpts' budget, locally when the incident
// uses local reads.
func requestCall(ctx workflow.Context, activity any, args ...any) workflow.Future {
	if localReads(ctx) {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second, MaximumAttempts: 5},
		}), activity, args...)
	}
	return workflow.ExecuteActivity(mutateOpts(ctx), activity, args...)
}
