// Package activities is the worker's registration of every activity
// firebreak runs: one place that lists them, so a worker can never serve a
// workflow whose activities it lacks. The activities themselves live with
// what they do (diagnose, remediate, escalate), and the ones that speak a
// workflow's own contract (permits, metrics) beside that workflow; their
// timeouts and retry budgets are the workflows' (workflows/options.go).
package activities

import (
	"go.temporal.io/sdk/worker"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/remediate"
	"github.com/firebreak-dev/firebreak/workflows"
)

// Set is every activity implementation a worker serves.
type Set struct {
	Diagnose  *diagnose.Activities
	Remediate *remediate.Activities
	Escalate  *escalate.Activities
	Recorder  *workflows.Recorder
	Permits   *workflows.Permits
	// KubeDiagnose and KubeRemediate are the Kubernetes activities; they
	// are registered even without a cluster, and then fail with a
	// non-retryable "not configured" error that the incident records.
	KubeDiagnose  *diagnose.KubeActivities
	KubeRemediate *remediate.KubeActivities
}

// Register registers every activity of the set on w. A nil member is
// registered as its zero value, whose methods fail as not configured.
func Register(w worker.ActivityRegistry, s Set) {
	w.RegisterActivity(orZero(s.Diagnose))
	w.RegisterActivity(orZero(s.Remediate))
	w.RegisterActivity(orZero(s.Escalate))
	w.RegisterActivity(orZero(s.Recorder))
	w.RegisterActivity(orZero(s.Permits))
	w.RegisterActivity(orZero(s.KubeDiagnose))
	w.RegisterActivity(orZero(s.KubeRemediate))
}

func orZero[T any](p *T) *T {
	if p == nil {
		return new(T)
	}
	return p
}
