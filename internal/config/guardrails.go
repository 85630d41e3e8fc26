package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Guardrails are global switches that apply over every runbook's own.
type Guardrails struct {
	DryRun bool // plan and record every action, perform none
	// Paused starts no remediation in incidents opened while it is set;
	// they still diagnose and escalate. It is fixed at each incident's
	// start; `firebreak pause` is the switch that acts at run time.
	Paused bool
	// MaxConcurrent caps remediations in progress at once across every
	// runbook (max_concurrent_remediations); 0 means no cap.
	MaxConcurrent int
	Storm         Storm // alert-storm detection
}

// Storm configures storm detection: when more than Incidents incidents open
// within Window, automation pauses, the incidents neither act nor page on
// their own, and one grouped escalation goes out instead.
type Storm struct {
	Enabled          bool          // false with enabled = false or incidents = 0
	Incidents        int           // more than this many within Window is a storm
	Window           time.Duration // the sliding window incidents are counted in
	Quiet            time.Duration // a storm ends after this long without a new incident
	PageHold         time.Duration // an incident's own page waits this long after it opened for a storm to begin
	SlackChannel     string        // where the grouped escalation is posted; "" = not to Slack
	PagerDuty        bool          // page for the grouped escalation
	PagerDutyService string        // which pagerduty service block pages; "" = the default routing_key
}

// Guardrail defaults.
const (
	DefaultMaxConcurrent  = 10
	DefaultStormIncidents = 20
	DefaultStormWindow    = 5 * time.Minute
	// DefaultStormPageHold is Alertmanager's group_wait default: a page
	// waits as long as a grouped notification would.
	DefaultStormPageHold = 30 * time.Second
)

type rawGuardrails struct {
	DryRun             *bool     `hcl:"dry_run,optional"`
	Paused             *bool     `hcl:"paused,optional"`
	MaxConcurrent      *int      `hcl:"max_concurrent_remediations,optional"`
	MaxConcurrentRange hcl.Range `hcl:"max_concurrent_remediations,attr_value_range"`
	Storm              *rawStorm `hcl:"storm,block"`
	DefRange           hcl.Range `hcl:",def_range"`
}

type rawStorm struct {
	Enabled               *bool     `hcl:"enabled,optional"`
	Incidents             *int      `hcl:"incidents,optional"`
	IncidentsRange        hcl.Range `hcl:"incidents,attr_value_range"`
	Window                *string   `hcl:"window,optional"`
	WindowRange           hcl.Range `hcl:"window,attr_value_range"`
	Quiet                 *string   `hcl:"quiet,optional"`
	QuietRange            hcl.Range `hcl:"quiet,attr_value_range"`
	PageHold              *string   `hcl:"page_hold,optional"`
	PageHoldRange         hcl.Range `hcl:"page_hold,attr_value_range"`
	SlackChannel          *string   `hcl:"slack_channel,optional"`
	SlackChannelRange     hcl.Range `hcl:"slack_channel,attr_value_range"`
	PagerDuty             *bool     `hcl:"pagerduty,optional"`
	PagerDutyRange        hcl.Range `hcl:"pagerduty,attr_value_range"`
	PagerDutyService      *string   `hcl:"pagerduty_service,optional"`
	PagerDutyServiceRange hcl.Range `hcl:"pagerduty_service,attr_value_range"`
	DefRange              hcl.Range `hcl:",def_range"`
}

// guardrails validates the guardrails block. It runs after slack and
// pagerduty, whose settings the storm's destinations must name.
func (d *decoder) guardrails(r *rawGuardrails, g *Guardrails, slack Slack, pd PagerDuty) {
	if r == nil {
		return
	}
	g.DryRun = r.DryRun != nil && *r.DryRun
	g.Paused = r.Paused != nil && *r.Paused
	if r.MaxConcurrent != nil {
		if *r.MaxConcurrent < 0 {
			d.errorf(r.MaxConcurrentRange, r.DefRange, "Invalid max_concurrent_remediations",
				"max_concurrent_remediations must be 0 (no cap) or more.")
		}
		g.MaxConcurrent = *r.MaxConcurrent
	}
	d.storm(r.Storm, &g.Storm, slack, pd)
}

func (d *decoder) storm(r *rawStorm, s *Storm, slack Slack, pd PagerDuty) {
	if r == nil {
		return
	}
	if r.Enabled != nil {
		s.Enabled = *r.Enabled
	}
	if r.Incidents != nil {
		if *r.Incidents < 0 {
			d.errorf(r.IncidentsRange, r.DefRange, "Invalid incidents", "incidents must be 0 (storm detection off) or more.")
		}
		s.Incidents = *r.Incidents
	}
	if r.Window != nil {
		s.Window = d.duration(*r.Window, "window", false, r.WindowRange, r.DefRange)
	}
	s.Quiet = s.Window
	if r.Quiet != nil {
		s.Quiet = d.duration(*r.Quiet, "quiet", false, r.QuietRange, r.DefRange)
	}
	if r.PageHold != nil {
		s.PageHold = d.duration(*r.PageHold, "page_hold", false, r.PageHoldRange, r.DefRange)
		if s.PageHold > s.Window {
			d.errorf(r.PageHoldRange, r.DefRange, "Invalid page_hold",
				"page_hold (%s) is longer than window (%s); page_hold = window already holds every page until no storm can count its incident.", s.PageHold, s.Window)
		}
	} else if s.PageHold > s.Window {
		s.PageHold = s.Window
	}
	if s.Incidents == 0 {
		s.Enabled = false
	}
	if r.SlackChannel != nil {
		d.nonEmpty(*r.SlackChannel, "slack_channel", r.SlackChannelRange, r.DefRange)
		if !slack.Enabled() {
			d.errorf(r.SlackChannelRange, r.DefRange, "Slack is not configured",
				"slack_channel = %q needs a slack block to post with.", *r.SlackChannel)
		}
		s.SlackChannel = *r.SlackChannel
	}
	s.PagerDuty = r.PagerDuty != nil && *r.PagerDuty
	if r.PagerDutyService != nil {
		name := *r.PagerDutyService
		s.PagerDutyService = name
		switch _, ok := pd.Services[name]; {
		case !s.PagerDuty:
			d.errorf(r.PagerDutyServiceRange, r.DefRange, "Storm does not page",
				"pagerduty_service is set but pagerduty is not true; set pagerduty = true to page, or remove pagerduty_service.")
		case !ok:
			d.errorf(r.PagerDutyServiceRange, r.DefRange, "Unknown PagerDuty service",
				"pagerduty_service = %q names no pagerduty { service %q { ... } } block.", name, name)
		}
	} else if s.PagerDuty && !pd.RoutingKey.IsSet() {
		d.errorf(r.PagerDutyRange, r.DefRange, "PagerDuty is not configured",
			"pagerduty = true pages with the pagerduty block's routing_key, and there is none; add it or set pagerduty_service.")
	}
}
