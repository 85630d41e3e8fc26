package cli

import (
	"github.com/firebreak-dev/firebreak/internal/config"
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
