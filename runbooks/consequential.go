package runbooks

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Consequential diagnostics.
//
// A typo in a block type or argument name (remediaton "x" {, sett = "+1")
// gives one structural error from hcl, "Unsupported block type" or
// "Unsupported argument", and the misspelt item is then not decoded at
// all. Every check that runs afterwards sees it missing and says so too,
// often first (a missing item is reported at the start of its block, which
// sorts earlier) and with a whole block as context. Those diagnostics only
// restate the structural error; they send the reader to the wrong line. A
// diagnostic is consequential, and dropped, when it claims that something
// is absent and a structural error explains the absence:
//
//  1. "Missing required argument" (hcl's own), "Missing action", "Missing
//     action kind" and "Missing diagnosis source" about a block whose own
//     body has a structural error: the unsupported item is most likely the
//     missing one, misspelt. Which one it was meant to be cannot be told
//     (kubernetes_scael, k8s_scale), so any structural error in that body
//     explains any absence from it.
//  2. "Reference to undefined diagnosis" and "Reference to undefined
//     target" naming N, when the runbook block holds an unsupported block
//     labelled N: diagnse "N" { or taget "N" { is the definition, misspelt.
//     The label survives the typo, so here the match is exact and other
//     undefined references are still reported.
//  3. "Unused target", whenever the runbook has any error. It claims that
//     nothing refers to the target, which holds only when every block that
//     could refer to it was decoded; a block with an error may have been
//     dropped (an unsupported block type) or abandoned before its target
//     reference was recorded. See runbook in parse.go.
//  4. Type errors from evaluating an expression that reads a diagnosis
//     whose diagnose block has errors: its type is unknown, so the
//     expression is evaluated with an unknown value of unknown type there
//     instead of failing on the missing attribute. See typeCheckContext in
//     expr.go.
//
// Only claims of absence are dropped, and only beside an error that stays,
// so an invalid file stays invalid. The cost is that an absence that was
// real, next to an unrelated typo, is reported on the next run, once the
// typo is fixed.

// missingItem is what a diagnostic of rule 1 or 2 claims is absent, so
// that dropConsequential can tell whether a structural error explains it.
type missingItem struct {
	body  *hclsyntax.Body // the body the item is missing from
	label string          // rule 2: the missing block's name; "" for rule 1
}

// missingFrom records that d claims an item is absent from body: a block
// labelled label, or, with label "", some block or argument.
func (p *parser) missingFrom(d *hcl.Diagnostic, body hcl.Body, label string) *hcl.Diagnostic {
	if b, ok := body.(*hclsyntax.Body); ok {
		p.missing[d] = missingItem{body: b, label: label}
	}
	return d
}

// Summaries of the structural errors hcl reports for names a schema does
// not know, and of its own absence claim.
const (
	summaryUnsupportedBlock = "Unsupported block type"
	summaryUnsupportedArg   = "Unsupported argument"
	summaryMissingArg       = "Missing required argument"
)

// dropConsequential removes the diagnostics of rules 1 and 2 that a
// structural error in root, the runbook block's body, explains.
func (p *parser) dropConsequential(root *hclsyntax.Body, diags hcl.Diagnostics) hcl.Diagnostics {
	// Structural errors are at the type of a block or the name of an
	// argument; positions identify them within the file.
	unsupported := map[int]bool{}
	for _, d := range diags {
		if d.Subject != nil && (d.Summary == summaryUnsupportedBlock || d.Summary == summaryUnsupportedArg) {
			unsupported[d.Subject.Start.Byte] = true
		}
	}
	if len(unsupported) == 0 {
		return diags
	}
	// hcl reports a missing argument at the start of the body it is
	// missing from; index the bodies by that position.
	bodies := map[int]*hclsyntax.Body{}
	var index func(b *hclsyntax.Body)
	index = func(b *hclsyntax.Body) {
		bodies[b.SrcRange.Start.Byte] = b
		for _, blk := range b.Blocks {
			index(blk.Body)
		}
	}
	index(root)

	explained := func(d *hcl.Diagnostic) bool {
		if item, ok := p.missing[d]; ok {
			return hasUnsupported(item.body, item.label, unsupported)
		}
		if d.Summary == summaryMissingArg && d.Subject != nil {
			b := bodies[d.Subject.Start.Byte]
			return b != nil && hasUnsupported(b, "", unsupported)
		}
		return false
	}
	kept := diags[:0:0]
	for _, d := range diags {
		if !explained(d) {
			kept = append(kept, d)
		}
	}
	return kept
}

// hasUnsupported reports whether body directly holds an item hcl reported
// as unsupported: with a label, only a block labelled so.
func hasUnsupported(body *hclsyntax.Body, label string, unsupported map[int]bool) bool {
	for _, b := range body.Blocks {
		if unsupported[b.TypeRange.Start.Byte] && (label == "" || len(b.Labels) > 0 && b.Labels[0] == label) {
			return true
		}
	}
	if label != "" {
		return false
	}
	for _, a := range body.Attributes {
		if unsupported[a.NameRange.Start.Byte] {
			return true
		}
	}
	return false
}

// typeCheckContext is the runbook's type-checking context plus, for every
// declared diagnosis whose diagnose block has errors, cty.DynamicVal: an
// expression reading one is checked as far as it can be, instead of
// failing on an attribute that is missing only because of those errors
// (rule 4 above).
func (p *parser) typeCheckContext(withDiagnoses bool) *hcl.EvalContext {
	ctx := p.rb.typeCheckContext(withDiagnoses)
	if !withDiagnoses || len(p.diagnoses) == len(p.rb.Diagnoses) {
		return ctx
	}
	vals := map[string]cty.Value{}
	for name := range p.diagnoses {
		vals[name] = cty.DynamicVal
	}
	for name, v := range ctx.Variables[varDiagnosis].AsValueMap() {
		vals[name] = v
	}
	ctx.Variables[varDiagnosis] = cty.ObjectVal(vals)
	return ctx
}
