package runbooks

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// defaultStep is the resolution of a range query without step.
const defaultStep = 15 * time.Second

// Diagnose is one thing a runbook looks at before deciding; its result is
// visible to conditions as diagnosis.<Name>. Exactly one of Prometheus and
// Kubernetes is set.
type Diagnose struct {
	Name       string        // the block's label
	Prometheus *PromDiagnose // the query to run; nil for other sources
	Kubernetes *KubeDiagnose // the workload to read; nil for other sources
	DeclRange  hcl.Range     // the block's header

	rb *Runbook
}

// DiagnosePrometheus names the prometheus diagnosis source.
const DiagnosePrometheus = blockPrometheus

// Source names the diagnosis source, the block inside diagnose:
// DiagnosePrometheus or DiagnoseKubeRollout. The workflow runs each source
// through its entry in its table of sources.
func (d *Diagnose) Source() string {
	if d.Kubernetes != nil {
		return DiagnoseKubeRollout
	}
	return DiagnosePrometheus
}

// PromDiagnose is a Prometheus query: instant, or a range over the last
// Range at Step resolution.
type PromDiagnose struct {
	Range     time.Duration // 0 for an instant query
	Step      time.Duration // resolution of a range query; 0 for instant queries
	DeclRange hcl.Range     // the prometheus block's header

	query hcl.Expression
}

// rawPromDiagnose is the prometheus block as written.
type rawPromDiagnose struct {
	Query      hcl.Expression `hcl:"query"`
	Range      *string        `hcl:"range,optional"`
	RangeRange hcl.Range      `hcl:"range,attr_value_range"`
	Step       *string        `hcl:"step,optional"`
	StepRange  hcl.Range      `hcl:"step,attr_value_range"`
}

// PromQuery renders the query for this alert, with interpolated values
// escaped for PromQL double-quoted strings, and returns the range and step
// (both 0 for an instant query).
func (d *Diagnose) PromQuery(s *Scope) (query string, rng, step time.Duration, err error) {
	if d.Prometheus == nil {
		return "", 0, 0, fmt.Errorf("diagnose %s: not a prometheus diagnosis", d.Name)
	}
	q, err := d.rb.evalTemplate(d.Prometheus.query, s, promQLEscape, "query")
	if err != nil {
		return "", 0, 0, fmt.Errorf("diagnose %s: %w", d.Name, err)
	}
	return q, d.Prometheus.Range, d.Prometheus.Step, nil
}

func (p *parser) diagnose(block *hcl.Block) (*Diagnose, hcl.Diagnostics) {
	ctx := blockRange(block)
	content, diags := block.Body.Content(diagnoseSchema)
	if content == nil {
		return nil, diags
	}
	kind, kindDiags := p.exactlyOneKind(block, content.Blocks, "diagnosis source")
	diags = append(diags, kindDiags...)
	classify := content.Attributes[attrClassify]
	if kind == nil {
		return nil, diags
	}
	d := &Diagnose{Name: block.Labels[0], DeclRange: block.DefRange, rb: p.rb}
	switch kind.Type {
	case DiagnoseKubeRollout:
		kd, kdDiags := p.kubeDiagnose(kind, classify, ctx)
		d.Kubernetes = kd
		diags = append(diags, kdDiags...)
	default:
		if classify != nil {
			diags = append(diags, newDiag("classify without kubernetes_rollout",
				fmt.Sprintf("classify sorts log lines into classes, and only %s diagnoses read logs; this diagnose block uses %s.", DiagnoseKubeRollout, kind.Type),
				classify.NameRange, ctx))
		}
		pd, pdDiags := p.promDiagnose(kind, ctx)
		d.Prometheus = pd
		diags = append(diags, pdDiags...)
	}
	if d.Prometheus == nil && d.Kubernetes == nil {
		return nil, diags
	}
	return d, diags
}

func (p *parser) promDiagnose(kind *hcl.Block, ctx hcl.Range) (*PromDiagnose, hcl.Diagnostics) {
	var raw rawPromDiagnose
	if d := gohcl.DecodeBody(kind.Body, staticCtx, &raw); d.HasErrors() {
		return nil, d
	}
	diags := p.checkExpr(raw.Query, exprUse{what: "query", template: true}, ctx)
	pd := &PromDiagnose{DeclRange: kind.DefRange, query: raw.Query}
	var rangeDiags hcl.Diagnostics
	pd.Range, rangeDiags = optDuration(raw.Range, 0, "range", raw.RangeRange, ctx)
	diags = append(diags, rangeDiags...)
	if raw.Range != nil && pd.Range == 0 && rangeDiags == nil {
		diags = append(diags, newDiag("Invalid duration",
			"range must be greater than 0; remove it for an instant query.", raw.RangeRange, ctx))
	}
	if raw.Step != nil {
		if raw.Range == nil {
			diags = append(diags, newDiag("Step without range",
				"step sets the resolution of a range query; add range, or remove step for an instant query.", raw.StepRange, ctx))
		}
		var d hcl.Diagnostics
		pd.Step, d = parseDuration(*raw.Step, "step", raw.StepRange, ctx)
		diags = append(diags, d...)
		if d == nil && pd.Step == 0 {
			diags = append(diags, newDiag("Invalid duration", "step must be greater than 0.", raw.StepRange, ctx))
		}
	} else if pd.Range > 0 {
		pd.Step = defaultStep
	}
	return pd, diags
}
