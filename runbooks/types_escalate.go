package runbooks

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Escalation sink names, as written in the escalate block.
const (
	SinkLog       = "log"
	SinkSlack     = "slack"
	SinkPagerDuty = "pagerduty"
)

// Escalate is the escalation policy: the sinks to hand the incident to, in
// the order written, each after its delay. A sink that fails does not stop
// the others.
type Escalate struct {
	LogLevel string           // level of the log sink: "info", "warn" or "error"
	Steps    []EscalationStep // in file order; never empty
}

// EscalationStep is one sink of the policy.
type EscalationStep struct {
	Sink string // SinkLog, SinkSlack or SinkPagerDuty
	// After delays this step from the escalation; a step with a delay is
	// skipped when a person acknowledged the incident (or the alert
	// resolved) in the meantime. Example: Slack now, PagerDuty after 10m.
	After time.Duration
	// Channel is where a slack step posts; default: the runbook's
	// slack_channel.
	Channel string
	// Service names the PagerDuty service in firebreak.hcl whose routing
	// key to use; empty means the default key.
	Service string
	// Severity overrides the PagerDuty severity; empty means derived from
	// the alert's severity label.
	Severity  string
	DeclRange hcl.Range
}

func defaultEscalate() Escalate {
	return Escalate{LogLevel: "error", Steps: []EscalationStep{{Sink: SinkLog}}}
}

// Sinks lists the distinct sinks of the policy, in order.
func (e Escalate) Sinks() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range e.Steps {
		if !seen[s.Sink] {
			seen[s.Sink] = true
			out = append(out, s.Sink)
		}
	}
	return out
}

// rawLog is the log block as written.
type rawLog struct {
	Level      *string   `hcl:"level,optional"`
	LevelRange hcl.Range `hcl:"level,attr_value_range"`
	After      *string   `hcl:"after,optional"`
	AfterRange hcl.Range `hcl:"after,attr_value_range"`
}

// rawSlack is the slack block as written.
type rawSlack struct {
	Channel      *string   `hcl:"channel,optional"`
	ChannelRange hcl.Range `hcl:"channel,attr_value_range"`
	After        *string   `hcl:"after,optional"`
	AfterRange   hcl.Range `hcl:"after,attr_value_range"`
}

// rawPagerDuty is the pagerduty block as written.
type rawPagerDuty struct {
	Service       *string   `hcl:"service,optional"`
	Severity      *string   `hcl:"severity,optional"`
	SeverityRange hcl.Range `hcl:"severity,attr_value_range"`
	After         *string   `hcl:"after,optional"`
	AfterRange    hcl.Range `hcl:"after,attr_value_range"`
}

func (p *parser) escalate(block *hcl.Block) hcl.Diagnostics {
	ctx := blockRange(block)
	content, diags := block.Body.Content(escalateSchema)
	if content == nil {
		return diags
	}
	if len(content.Blocks) == 0 {
		return append(diags, newDiag("Missing escalation sink",
			"An escalate block needs at least one sink, like log {}, slack {} or pagerduty {}; remove the block to use the default.", block.DefRange, ctx))
	}
	diags = append(diags, atMostOne(content.Blocks.OfType(blockLog), ctx)...)
	e := Escalate{LogLevel: "error"}
	for _, b := range content.Blocks {
		step := EscalationStep{Sink: b.Type, DeclRange: b.DefRange}
		bctx := blockRange(b)
		var after *string
		var afterRange hcl.Range
		switch b.Type {
		case blockLog:
			var raw rawLog
			if d := gohcl.DecodeBody(b.Body, staticCtx, &raw); d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			after, afterRange = raw.After, raw.AfterRange
			if raw.Level != nil {
				switch *raw.Level {
				case "info", "warn", "error":
					e.LogLevel = *raw.Level
				default:
					diags = append(diags, newDiag("Invalid log level",
						fmt.Sprintf("level = %q; want \"info\", \"warn\" or \"error\".", *raw.Level), raw.LevelRange, bctx))
				}
			}
		case blockSlack:
			var raw rawSlack
			if d := gohcl.DecodeBody(b.Body, staticCtx, &raw); d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			after, afterRange = raw.After, raw.AfterRange
			if raw.Channel != nil {
				step.Channel = *raw.Channel
				diags = append(diags, checkChannel(step.Channel, raw.ChannelRange, bctx)...)
			}
		case blockPagerDuty:
			var raw rawPagerDuty
			if d := gohcl.DecodeBody(b.Body, staticCtx, &raw); d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			after, afterRange = raw.After, raw.AfterRange
			if raw.Service != nil {
				step.Service = *raw.Service
			}
			if raw.Severity != nil {
				switch *raw.Severity {
				case "critical", "error", "warning", "info":
					step.Severity = *raw.Severity
				default:
					diags = append(diags, newDiag("Invalid severity",
						fmt.Sprintf("severity = %q; want \"critical\", \"error\", \"warning\" or \"info\" (PagerDuty's levels).", *raw.Severity), raw.SeverityRange, bctx))
				}
			}
		}
		var d hcl.Diagnostics
		step.After, d = optDuration(after, 0, "after", afterRange, bctx)
		diags = append(diags, d...)
		e.Steps = append(e.Steps, step)
	}
	p.rb.Escalate = e
	return diags
}
