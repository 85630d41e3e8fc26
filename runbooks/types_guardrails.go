package runbooks

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Defaults of the guardrails block: at most three actions per target per
// hour, no cooldown, acting for real.
const (
	defaultMaxActions = 3
	defaultWindow     = time.Hour
)

// Guardrails limit how often a runbook may act on one target, so that a
// flapping alert cannot turn automation into an outage.
type Guardrails struct {
	Cooldown   time.Duration // after any action on a target, no further action on it for this long
	Window     time.Duration // the window MaxActions counts over
	MaxActions int           // actions allowed per target per Window; at least 1
	DryRun     bool          // plan and record actions without performing them
}

func defaultGuardrails() Guardrails {
	return Guardrails{Window: defaultWindow, MaxActions: defaultMaxActions}
}

// rawGuardrails is the guardrails block as written.
type rawGuardrails struct {
	Cooldown        *string   `hcl:"cooldown,optional"`
	CooldownRange   hcl.Range `hcl:"cooldown,attr_value_range"`
	MaxActions      *int      `hcl:"max_actions,optional"`
	MaxActionsRange hcl.Range `hcl:"max_actions,attr_value_range"`
	Window          *string   `hcl:"window,optional"`
	WindowRange     hcl.Range `hcl:"window,attr_value_range"`
	DryRun          *bool     `hcl:"dry_run,optional"`
}

func (p *parser) guardrails(block *hcl.Block) hcl.Diagnostics {
	ctx := blockRange(block)
	var raw rawGuardrails
	if diags := gohcl.DecodeBody(block.Body, staticCtx, &raw); diags.HasErrors() {
		return diags
	}
	g := &p.rb.Guardrails
	var diags, d hcl.Diagnostics
	g.Cooldown, d = optDuration(raw.Cooldown, 0, "cooldown", raw.CooldownRange, ctx)
	diags = append(diags, d...)
	g.Window, d = optDuration(raw.Window, defaultWindow, "window", raw.WindowRange, ctx)
	diags = append(diags, d...)
	if d == nil && g.Window == 0 {
		diags = append(diags, newDiag("Invalid duration", "window must be greater than 0.", raw.WindowRange, ctx))
	}
	if raw.MaxActions != nil {
		if *raw.MaxActions < 1 {
			diags = append(diags, newDiag("Invalid max_actions",
				"max_actions must be at least 1; to stop a runbook from acting, set dry_run = true.", raw.MaxActionsRange, ctx))
		}
		g.MaxActions = *raw.MaxActions
	}
	if raw.DryRun != nil {
		g.DryRun = *raw.DryRun
	}
	return diags
}
