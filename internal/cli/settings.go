package cli

import (
	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/workflows"
)

// controlSettings puts the configured guardrails in the form incidents
// carry them to the engine-wide Control workflow. It lives at the command
// layer so that internal/config, which `firebreak validate` links, imports
// no workflow package. A disabled storm block (enabled = false or
// incidents = 0) leaves every storm setting zero: no detection.
func controlSettings(g config.Guardrails) workflows.ControlSettings {
	s := workflows.ControlSettings{MaxConcurrent: g.MaxConcurrent}
	if g.Storm.Enabled && g.Storm.Incidents > 0 {
		s.StormThreshold = g.Storm.Incidents
		s.StormWindow = g.Storm.Window
		s.StormQuiet = g.Storm.Quiet
		s.StormPageHold = g.Storm.PageHold
		s.StormSlackChannel = g.Storm.SlackChannel
		s.StormPage = g.Storm.PagerDuty
		s.StormPagerDutyService = g.Storm.PagerDutyService
	}
	return s
}

// workerTuning maps the worker block to the engine's worker options; a
// sticky_cache_size of 0 (no cache) is negative there, where 0 means the
// SDK default.
func workerTuning(w config.Worker) engine.WorkerTuning {
	t := engine.WorkerTuning{
		StickyCacheSize:            w.StickyCacheSize,
		MaxConcurrentWorkflowTasks: w.MaxConcurrentWorkflowTasks,
		MaxConcurrentActivities:    w.MaxConcurrentActivities,
		WorkflowPollers:            w.WorkflowPollers,
		ActivityPollers:            w.ActivityPollers,
	}
	if t.StickyCacheSize == 0 {
		t.StickyCacheSize = -1
	}
	return t
}
