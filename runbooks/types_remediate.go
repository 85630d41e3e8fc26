package runbooks

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Remediation is one way out of an incident: when its condition holds, its
// actions run in order and verify says whether they worked. Remediations
// are tried in file order and only the first that holds runs.
type Remediation struct {
	Name      string    // the block's label, unique within the runbook
	Actions   []*Action // in file order, at least one
	Verify    *Verify   // nil when the remediation is not verified
	Approval  *Approval // nil when the remediation needs no approval
	DeclRange hcl.Range // the remediate block's header

	when hcl.Expression // nil when absent
	rb   *Runbook
}

// Holds evaluates the remediation's when condition; a remediation without
// one always holds.
func (m *Remediation) Holds(s *Scope) (bool, error) {
	if m.when == nil {
		return true, nil
	}
	ok, err := m.rb.evalBool(m.when, s, attrWhen)
	if err != nil {
		return false, fmt.Errorf("remediate %s: %w", m.Name, err)
	}
	return ok, nil
}

func (p *parser) remediate(block *hcl.Block) (*Remediation, hcl.Diagnostics) {
	ctx := blockRange(block)
	content, diags := block.Body.Content(remediateSchema)
	if content == nil {
		return nil, diags
	}
	m := &Remediation{Name: block.Labels[0], DeclRange: block.DefRange, rb: p.rb}
	if a := content.Attributes[attrWhen]; a != nil {
		diags = append(diags, p.checkExpr(a.Expr, exprUse{what: attrWhen, allowDiagnosis: true}, ctx)...)
		m.when = a.Expr
	}
	actions := content.Blocks.OfType(blockAction)
	if len(actions) == 0 {
		diags = append(diags, p.missingFrom(newDiag("Missing action",
			"A remediate block needs at least one action block.", block.DefRange, ctx), block.Body, ""))
	}
	names := map[string]hcl.Range{}
	for _, b := range actions {
		diags = append(diags, checkName(b, "action", names)...)
		a, aDiags := p.action(b)
		diags = append(diags, aDiags...)
		if a != nil {
			m.Actions = append(m.Actions, a)
		}
	}
	verifies := content.Blocks.OfType(blockVerify)
	diags = append(diags, atMostOne(verifies, ctx)...)
	if len(verifies) > 0 {
		v, vDiags := p.verify(verifies[0])
		diags = append(diags, vDiags...)
		m.Verify = v
	}
	if m.Verify != nil && m.Verify.Rollback {
		for _, a := range m.Actions {
			if !a.CanRestore() {
				diags = append(diags, newDiag("Rollback impossible",
					fmt.Sprintf("Action %q (%s, at %s) cannot be restored: a deleted pod is gone and its replacement is a new pod. Remove rollback = true, or move the action to a remediation without rollback.", a.Name, a.Kind, a.DeclRange),
					m.Verify.rollbackRange, ctx))
			}
		}
	}
	approvals := content.Blocks.OfType(blockApproval)
	diags = append(diags, atMostOne(approvals, ctx)...)
	if len(approvals) > 0 {
		a, aDiags := p.approval(approvals[0])
		diags = append(diags, aDiags...)
		m.Approval = a
	}
	return m, diags
}
