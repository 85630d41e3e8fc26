package config

import "github.com/hashicorp/hcl/v2"

// Worker tunes the Temporal worker: how many incident workflows it keeps in
// memory between their tasks and how much it runs at once. The defaults
// are sized from the measurements in docs/performance.md ("Memory with
// many open incidents"): an open incident that is lingering or waiting on
// verification costs memory only while it is in the sticky cache, so the
// cache, not the number of open incidents, bounds the worker's memory.
type Worker struct {
	// StickyCacheSize is how many workflows the worker keeps in memory
	// between tasks. A workflow evicted from the cache is rebuilt by
	// replaying its history on its next task: slower for that task, never
	// wrong. It is process-wide (one cache for every worker in a process).
	StickyCacheSize int
	// MaxConcurrentWorkflowTasks and MaxConcurrentActivities bound the
	// workflow tasks and activities the worker runs at once.
	MaxConcurrentWorkflowTasks int
	MaxConcurrentActivities    int
	// WorkflowPollers and ActivityPollers are the long polls the worker
	// keeps open against the task queue.
	WorkflowPollers int
	ActivityPollers int
}

// Worker defaults.
const (
	DefaultStickyCacheSize            = 1000
	DefaultMaxConcurrentWorkflowTasks = 100
	DefaultMaxConcurrentActivities    = 100
	DefaultWorkflowPollers            = 4
	DefaultActivityPollers            = 4
)

// DefaultWorker is the worker block's defaults.
func DefaultWorker() Worker {
	return Worker{
		StickyCacheSize:            DefaultStickyCacheSize,
		MaxConcurrentWorkflowTasks: DefaultMaxConcurrentWorkflowTasks,
		MaxConcurrentActivities:    DefaultMaxConcurrentActivities,
		WorkflowPollers:            DefaultWorkflowPollers,
		ActivityPollers:            DefaultActivityPollers,
	}
}

type rawWorker struct {
	StickyCacheSize      *int      `hcl:"sticky_cache_size,optional"`
	StickyCacheSizeRange hcl.Range `hcl:"sticky_cache_size,attr_value_range"`
	WorkflowTasks        *int      `hcl:"max_concurrent_workflow_tasks,optional"`
	WorkflowTasksRange   hcl.Range `hcl:"max_concurrent_workflow_tasks,attr_value_range"`
	Activities           *int      `hcl:"max_concurrent_activities,optional"`
	ActivitiesRange      hcl.Range `hcl:"max_concurrent_activities,attr_value_range"`
	WorkflowPollers      *int      `hcl:"workflow_pollers,optional"`
	WorkflowPollersRange hcl.Range `hcl:"workflow_pollers,attr_value_range"`
	ActivityPollers      *int      `hcl:"activity_pollers,optional"`
	ActivityPollersRange hcl.Range `hcl:"activity_pollers,attr_value_range"`
	DefRange             hcl.Range `hcl:",def_range"`
}

// Upper bounds that catch a typo (an extra zero or two) before it becomes
// a worker that holds every workflow in memory or opens thousands of polls.
const (
	maxStickyCacheSize = 100000
	maxConcurrent      = 10000
	maxPollers         = 64
)

func (d *decoder) worker(r *rawWorker, w *Worker) {
	if r == nil {
		return
	}
	set := func(v *int, name string, low, high int, subject hcl.Range, dst *int) {
		if v == nil {
			return
		}
		if *v < low || *v > high {
			d.errorf(subject, r.DefRange, "Invalid "+name, "%s = %d must be from %d to %d.", name, *v, low, high)
		}
		*dst = *v
	}
	// A sticky cache of 0 is allowed: every task replays its history.
	set(r.StickyCacheSize, "sticky_cache_size", 0, maxStickyCacheSize, r.StickyCacheSizeRange, &w.StickyCacheSize)
	set(r.WorkflowTasks, "max_concurrent_workflow_tasks", 1, maxConcurrent, r.WorkflowTasksRange, &w.MaxConcurrentWorkflowTasks)
	set(r.Activities, "max_concurrent_activities", 1, maxConcurrent, r.ActivitiesRange, &w.MaxConcurrentActivities)
	// The SDK needs at least two workflow pollers (one for the sticky
	// queue, one for the normal one).
	set(r.WorkflowPollers, "workflow_pollers", 2, maxPollers, r.WorkflowPollersRange, &w.WorkflowPollers)
	set(r.ActivityPollers, "activity_pollers", 1, maxPollers, r.ActivityPollersRange, &w.ActivityPollers)
}
