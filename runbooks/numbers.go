package runbooks

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Number literals are arbitrary-precision in HCL, and arithmetic on them
// costs time that grows with their exponent: `666666/5e666666/5e666`, 37
// bytes, took 164 s of CPU to evaluate (found by the config fuzz target).
// A file can hold no number beyond float64's range, which is every number
// firebreak has a use for, so such a literal is refused before anything is
// evaluated.
const (
	maxNumberExp = 1024  // binary exponent of the largest float64
	minNumberExp = -1074 // of the smallest positive float64
)

// CheckNumbers refuses every number literal in body outside float64's
// range, at its file:line:col. Parse and the firebreak.hcl parser call it
// before they evaluate any expression.
func CheckNumbers(body hcl.Body) hcl.Diagnostics {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	return hclsyntax.VisitAll(b, func(n hclsyntax.Node) hcl.Diagnostics {
		lit, ok := n.(*hclsyntax.LiteralValueExpr)
		if !ok || lit.Val.IsNull() || !lit.Val.IsKnown() || lit.Val.Type() != cty.Number {
			return nil
		}
		f := lit.Val.AsBigFloat()
		if f.Sign() == 0 || f.IsInf() {
			return nil
		}
		if exp := f.MantExp(nil); exp > maxNumberExp || exp < minNumberExp {
			rng := lit.Range()
			return hcl.Diagnostics{newDiag("Number out of range",
				"This number is beyond the range of a 64-bit float (about ±1.8e308, and no smaller than 4.9e-324 in magnitude); firebreak refuses it before evaluating anything, because arithmetic on it could take minutes.",
				rng, rng)}
		}
		return nil
	})
}
