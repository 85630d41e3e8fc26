package runbooks

import (
	"fmt"
	"math"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// defaultEvery is the check interval of a verify block without every.
const defaultEvery = 15 * time.Second

// Verify says how to tell that a remediation worked: a Prometheus query
// whose value must stay below (or above) a threshold for For, checked every
// Every, giving up after Within.
type Verify struct {
	// Rollback asks the engine, when verification fails, to restore every
	// applied action's prior state in reverse order before escalating, so
	// that a remediation that did not help does not stay in place. Parsing
	// refuses it when an action of the remediation cannot be restored.
	Rollback bool

	Below     *float64      // passes while value < *Below; exactly one of Below and Above is set
	Above     *float64      // passes while value > *Above
	For       time.Duration // how long the condition must hold without interruption
	Within    time.Duration // give up (verification failed) after this long; >= For
	Every     time.Duration // check interval; > 0 and <= Within
	DeclRange hcl.Range     // the verify block's header

	query         hcl.Expression
	rollbackRange hcl.Range // the rollback attribute, for the restorability check
	rb            *Runbook
}

// rawVerify is the verify block as written.
type rawVerify struct {
	Prometheus    hcl.Expression `hcl:"prometheus"`
	Below         *float64       `hcl:"below,optional"`
	Above         *float64       `hcl:"above,optional"`
	AboveRange    hcl.Range      `hcl:"above,attr_range"`
	For           *string        `hcl:"for,optional"`
	ForRange      hcl.Range      `hcl:"for,attr_value_range"`
	Within        string         `hcl:"within"`
	WithinRange   hcl.Range      `hcl:"within,attr_value_range"`
	Every         *string        `hcl:"every,optional"`
	EveryRange    hcl.Range      `hcl:"every,attr_value_range"`
	Rollback      *bool          `hcl:"rollback,optional"`
	RollbackRange hcl.Range      `hcl:"rollback,attr_range"`
}

// PromQuery renders the verification query for this alert, with
// interpolated values escaped for PromQL double-quoted strings.
func (v *Verify) PromQuery(s *Scope) (string, error) {
	q, err := v.rb.evalTemplate(v.query, s, promQLEscape, "verify query")
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	return q, nil
}

// Passes reports whether one observed value meets the threshold. NaN never
// passes: a query that cannot be computed is not evidence of recovery.
func (v *Verify) Passes(value float64) bool {
	switch {
	case math.IsNaN(value):
		return false
	case v.Below != nil:
		return value < *v.Below
	case v.Above != nil:
		return value > *v.Above
	}
	return false
}

func (p *parser) verify(block *hcl.Block) (*Verify, hcl.Diagnostics) {
	ctx := blockRange(block)
	var raw rawVerify
	if diags := gohcl.DecodeBody(block.Body, staticCtx, &raw); diags.HasErrors() {
		return nil, diags
	}
	diags := p.checkExpr(raw.Prometheus, exprUse{what: "prometheus", template: true, allowDiagnosis: true}, ctx)
	v := &Verify{Below: raw.Below, Above: raw.Above, DeclRange: block.DefRange, query: raw.Prometheus, rollbackRange: raw.RollbackRange, rb: p.rb}
	if raw.Rollback != nil {
		v.Rollback = *raw.Rollback
	}
	switch {
	case raw.Below != nil && raw.Above != nil:
		diags = append(diags, newDiag("Ambiguous verify threshold",
			"Set exactly one of below and above.", raw.AboveRange, ctx))
	case raw.Below == nil && raw.Above == nil:
		diags = append(diags, newDiag("Missing verify threshold",
			"Set exactly one of below and above: verify needs a condition that means the remediation worked.", block.DefRange, ctx))
	}
	var d hcl.Diagnostics
	var forDiags, withinDiags hcl.Diagnostics
	v.For, forDiags = optDuration(raw.For, 0, "for", raw.ForRange, ctx)
	v.Within, withinDiags = parseDuration(raw.Within, "within", raw.WithinRange, ctx)
	diags = append(append(diags, forDiags...), withinDiags...)
	if withinDiags == nil && v.Within == 0 {
		diags = append(diags, newDiag("Invalid duration", "within must be greater than 0.", raw.WithinRange, ctx))
	}
	if forDiags == nil && withinDiags == nil && v.Within < v.For {
		diags = append(diags, newDiag("within is shorter than for",
			fmt.Sprintf("The condition must hold for %s, which cannot happen within %s.", v.For, v.Within), raw.WithinRange, ctx))
	}
	v.Every, d = optDuration(raw.Every, defaultEvery, "every", raw.EveryRange, ctx)
	diags = append(diags, d...)
	switch {
	case d != nil:
	case v.Every == 0:
		diags = append(diags, newDiag("Invalid duration", "every must be greater than 0.", raw.EveryRange, ctx))
	case withinDiags == nil && v.Every > v.Within:
		subject := raw.EveryRange
		if raw.Every == nil {
			subject = raw.WithinRange
		}
		diags = append(diags, newDiag("every is longer than within",
			fmt.Sprintf("Checking every %s would not check even once within %s.", v.Every, v.Within), subject, ctx))
	}
	return v, diags
}
