package runbooks

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Defaults of the guardrails block: at most three actions per target per
// hour, no cooldown, acting for real.
const (
	defaultMaxActions = 3
	defaultWindow     = time.Hour
	maxBusyTimeout    = 24 * time.Hour
)

// What a remediation does when another remediation holds its target.
const (
	// OnBusyWait waits for the target, up to BusyTimeout, then escalates:
	// the other remediation may well fix this alert too.
	OnBusyWait = "wait"
	// OnBusyEscalate escalates at once: for runbooks where acting late is
	// worse than asking people.
	OnBusyEscalate = "escalate"
)

// Guardrails limit how often a runbook may act on one target, so that a
// flapping alert cannot turn automation into an outage.
type Guardrails struct {
	Cooldown   time.Duration // after any action on a target, no further action on it for this long
	Window     time.Duration // the window MaxActions counts over
	MaxActions int           // actions allowed per target per Window; at least 1
	DryRun     bool          // plan and record actions without performing them
	// OnBusy says what to do when another remediation holds a target:
	// OnBusyWait (the default) or OnBusyEscalate.
	OnBusy string
	// BusyTimeout bounds the wait of OnBusyWait; 0 means the engine's
	// default.
	BusyTimeout time.Duration
}

func defaultGuardrails() Guardrails {
	return Guardrails{Window: defaultWindow, MaxActions: defaultMaxActions, OnBusy: OnBusyWait}
}

// rawGuardrails is the guardrails block as written.
type rawGuardrails struct {
	Cooldown         *string   `hcl:"cooldown,optional"`
	CooldownRange    hcl.Range `hcl:"cooldown,attr_value_range"`
	MaxActions       *int      `hcl:"max_actions,optional"`
	MaxActionsRange  hcl.Range `hcl:"max_actions,attr_value_range"`
	Window           *string   `hcl:"window,optional"`
	WindowRange      hcl.Range `hcl:"window,attr_value_range"`
	DryRun           *bool     `hcl:"dry_run,optional"`
	OnBusy           *string   `hcl:"on_busy,optional"`
	OnBusyRange      hcl.Range `hcl:"on_busy,attr_value_range"`
	BusyTimeout      *string   `hcl:"busy_timeout,optional"`
	BusyTimeoutRange hcl.Range `hcl:"busy_timeout,attr_value_range"`
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
	if raw.OnBusy != nil {
		switch *raw.OnBusy {
		case OnBusyWait, OnBusyEscalate:
			g.OnBusy = *raw.OnBusy
		default:
			diags = append(diags, newDiag("Invalid on_busy",
				fmt.Sprintf("on_busy = %q; want %q or %q.", *raw.OnBusy, OnBusyWait, OnBusyEscalate), raw.OnBusyRange, ctx))
		}
	}
	if raw.BusyTimeout != nil {
		g.BusyTimeout, d = parseDuration(*raw.BusyTimeout, "busy_timeout", raw.BusyTimeoutRange, ctx)
		diags = append(diags, d...)
		switch {
		case d != nil:
		case g.BusyTimeout <= 0 || g.BusyTimeout > maxBusyTimeout:
			diags = append(diags, newDiag("Invalid duration",
				"busy_timeout must be greater than 0 and at most 24h; remove it for the engine's default.", raw.BusyTimeoutRange, ctx))
		case g.OnBusy == OnBusyEscalate:
			diags = append(diags, newWarning("busy_timeout has no effect",
				"busy_timeout bounds the wait of on_busy = \"wait\"; with on_busy = \"escalate\" nothing waits.", raw.BusyTimeoutRange, ctx))
		}
	}
	return diags
}
