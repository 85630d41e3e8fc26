package runbooks

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Kinds a target block may name, in the API's canonical spelling: the
// spelling is what the ledger key and the activities see, so it is checked
// exactly rather than folded.
const (
	TargetDeployment  = "Deployment"
	TargetStatefulSet = "StatefulSet"
	TargetConfigMap   = "ConfigMap"
)

// targetKinds lists the kinds in the order messages name them.
var targetKinds = []string{TargetDeployment, TargetStatefulSet, TargetConfigMap}

// maxShownValue bounds how much of a refused value an error quotes, so that
// a 300-character label does not flood logs and incident records.
const maxShownValue = 80

// Target is a Kubernetes object a runbook may look at or act on, named by
// templates over the alert. Guardrails (locks, cooldown, action budget) are
// kept per resolved object, so two runbooks naming the same object share
// them.
type Target struct {
	Name      string    // the block's label, referenced as target.<Name>
	Kind      string    // TargetDeployment, TargetStatefulSet or TargetConfigMap
	DeclRange hcl.Range // the target block's header

	namespace hcl.Expression
	name      hcl.Expression
	rb        *Runbook
}

// TargetRef is a target resolved for one alert: a validated Kubernetes
// object reference, safe to pass to the API.
type TargetRef struct {
	Kind      string // TargetDeployment, TargetStatefulSet or TargetConfigMap
	Namespace string // a DNS-1123 label
	Name      string // a DNS-1123 subdomain
}

// Key is the guardrail ledger key of the object:
// "kubernetes/<lower-case kind>/<namespace>/<name>". It depends only on the
// object, never on the runbook or target name, so that every runbook acting
// on the same object shares one lock and one action budget.
func (r TargetRef) Key() string {
	return "kubernetes/" + strings.ToLower(r.Kind) + "/" + r.Namespace + "/" + r.Name
}

// String renders the reference for messages and logs, e.g.
// "deployment shop/checkout".
func (r TargetRef) String() string {
	return strings.ToLower(r.Kind) + " " + r.Namespace + "/" + r.Name
}

// rawTarget is the target block as written.
type rawTarget struct {
	Kind      string         `hcl:"kind"`
	KindRange hcl.Range      `hcl:"kind,attr_value_range"`
	Namespace hcl.Expression `hcl:"namespace"`
	Name      hcl.Expression `hcl:"name"`
}

// Resolve renders the target's namespace and name for this alert, without
// escaping, and refuses values that are not valid Kubernetes names: they
// come from alert labels, which anyone able to fire an alert controls, so
// "../x" or "a;b" must never reach a URL path or a ledger key. An empty
// value (a missing label) is refused too.
func (t *Target) Resolve(s *Scope) (TargetRef, error) {
	ref := TargetRef{Kind: t.Kind}
	var err error
	if ref.Namespace, err = t.rb.evalString(t.namespace, s, "namespace"); err != nil {
		return TargetRef{}, fmt.Errorf("target %s: %w", t.Name, err)
	}
	if ref.Name, err = t.rb.evalString(t.name, s, "name"); err != nil {
		return TargetRef{}, fmt.Errorf("target %s: %w", t.Name, err)
	}
	if msg := checkNamespace(ref.Namespace); msg != "" {
		return TargetRef{}, fmt.Errorf("target %s: namespace %s refused: %s", t.Name, quoteShort(ref.Namespace), msg)
	}
	if msg := checkObjectName(ref.Name); msg != "" {
		return TargetRef{}, fmt.Errorf("target %s: name %s refused: %s", t.Name, quoteShort(ref.Name), msg)
	}
	return ref, nil
}

// Target returns the target block with the given name, or nil.
func (r *Runbook) Target(name string) *Target {
	for _, t := range r.Targets {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// checkNamespace returns why s is not a namespace name, or "".
func checkNamespace(s string) string {
	if s == "" {
		return "empty (is the alert label missing?)"
	}
	return strings.Join(validation.IsDNS1123Label(s), "; ")
}

// checkObjectName returns why s is not an object name, or "".
func checkObjectName(s string) string {
	if s == "" {
		return "empty (is the alert label missing?)"
	}
	return strings.Join(validation.IsDNS1123Subdomain(s), "; ")
}

// quoteShort quotes s with %q, truncated to maxShownValue runes plus "…"
// and the full length.
func quoteShort(s string) string {
	if utf8.RuneCountInString(s) <= maxShownValue {
		return fmt.Sprintf("%q", s)
	}
	n := 0
	for i := range s {
		if n == maxShownValue {
			return fmt.Sprintf("%q… (%d bytes)", s[:i], len(s))
		}
		n++
	}
	return fmt.Sprintf("%q", s)
}

// evalString evaluates a string-valued expression (a template or a bare
// expression such as alert.labels.namespace) without escaping.
func (r *Runbook) evalString(expr hcl.Expression, s *Scope, what string) (string, error) {
	v, diags := expr.Value(r.evalContext(s))
	if diags.HasErrors() {
		return "", fmt.Errorf("evaluate %s: %w", what, diags)
	}
	v, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", fmt.Errorf("evaluate %s: %w", what, err)
	}
	if v.IsNull() || !v.IsKnown() {
		return "", fmt.Errorf("evaluate %s: result is null", what)
	}
	return v.AsString(), nil
}

func (p *parser) target(block *hcl.Block) (*Target, hcl.Diagnostics) {
	ctx := blockRange(block)
	var raw rawTarget
	if diags := gohcl.DecodeBody(block.Body, staticCtx, &raw); diags.HasErrors() {
		return nil, diags
	}
	t := &Target{Name: block.Labels[0], DeclRange: block.DefRange, namespace: raw.Namespace, name: raw.Name, rb: p.rb}
	var diags hcl.Diagnostics
	switch kind := canonicalKind(raw.Kind); {
	case kind == raw.Kind:
		t.Kind = kind
	case kind != "":
		diags = append(diags, newDiag("Invalid target kind",
			fmt.Sprintf("kind = %q; did you mean %q? Kinds are spelled as in the Kubernetes API.", raw.Kind, kind), raw.KindRange, ctx))
	default:
		diags = append(diags, newDiag("Invalid target kind",
			fmt.Sprintf("kind = %q; want %s.", raw.Kind, quotedList(targetKinds)), raw.KindRange, ctx))
	}
	diags = append(diags, p.targetName(raw.Namespace, "namespace", checkNamespace, ctx)...)
	diags = append(diags, p.targetName(raw.Name, "name", checkObjectName, ctx)...)
	return t, diags
}

// targetName checks a namespace or name expression: a string over alert.*
// only (a target must name the same object whatever the diagnoses say, and
// diagnoses themselves use targets), validated now when it is a literal.
func (p *parser) targetName(expr hcl.Expression, what string, check func(string) string, ctx hcl.Range) hcl.Diagnostics {
	diags := p.checkExpr(expr, exprUse{what: what, str: true,
		noDiagnosisWhy: "A target names the object diagnoses read and actions change, so it cannot depend on a diagnosis."}, ctx)
	if diags.HasErrors() || len(expr.Variables()) > 0 {
		return diags
	}
	v, d := expr.Value(staticCtx)
	if d.HasErrors() || v.Type() != cty.String || v.IsNull() {
		return diags
	}
	if msg := check(v.AsString()); msg != "" {
		diags = append(diags, newDiag("Invalid target "+what,
			fmt.Sprintf("%s %s is not a valid Kubernetes %s: %s.", what, quoteShort(v.AsString()), what, msg),
			expr.Range(), ctx))
	}
	return diags
}

// canonicalKind returns the canonical spelling of a target kind, matching
// case-insensitively, or "" when it is not one.
func canonicalKind(kind string) string {
	for _, k := range targetKinds {
		if strings.EqualFold(k, kind) {
			return k
		}
	}
	return ""
}

// targetRef resolves a target = target.<name> attribute statically: the
// reference is never evaluated, so targets stay out of the expression
// scope and every use is known at parse time. kinds lists the target kinds
// the enclosing block accepts.
func (p *parser) targetRef(expr hcl.Expression, block string, ctx hcl.Range, kinds ...string) (*Target, hcl.Diagnostics) {
	tr, d := hcl.AbsTraversalForExpr(expr)
	if d.HasErrors() || len(tr) != 2 || tr.RootName() != attrTarget {
		return nil, hcl.Diagnostics{newDiag("Invalid target reference",
			fmt.Sprintf("target must name a target block, like target = target.app.%s", p.declaredTargets()), expr.Range(), ctx)}
	}
	name, ok := stepName(tr[1])
	if !ok {
		return nil, hcl.Diagnostics{newDiag("Invalid target reference",
			"Name the target with an attribute, like target = target.app.", expr.Range(), ctx)}
	}
	t := p.rb.Target(name)
	if t == nil {
		return nil, hcl.Diagnostics{p.missingFrom(newDiag("Reference to undefined target",
			fmt.Sprintf("There is no target block named %q in this runbook.%s", name, p.declaredTargets()), expr.Range(), ctx), p.rbBody, name)}
	}
	p.usedTargets[name] = true
	if t.Kind != "" && !slices.Contains(kinds, t.Kind) {
		return nil, hcl.Diagnostics{newDiag("Wrong target kind",
			fmt.Sprintf("%s acts on %s targets; target.%s (defined at %s) is a %s.", block, orList(kinds), name, t.DeclRange, t.Kind),
			expr.Range(), ctx)}
	}
	return t, nil
}

func (p *parser) declaredTargets() string {
	if len(p.rb.Targets) == 0 {
		return " It declares none."
	}
	names := make([]string, 0, len(p.rb.Targets))
	for _, t := range p.rb.Targets {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return " Declared: " + strings.Join(names, ", ") + "."
}

// checkUnusedTargets warns about targets nothing refers to: most likely a
// typo or a leftover, and a target's name templates are only checked
// against real alerts when something resolves it.
func (p *parser) checkUnusedTargets(ctx hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range p.rb.Targets {
		if !p.usedTargets[t.Name] {
			diags = append(diags, newWarning("Unused target",
				fmt.Sprintf("No action or diagnosis refers to target.%s.", t.Name), t.DeclRange, ctx))
		}
	}
	return diags
}

// quotedList renders `"a", "b" or "c"`.
func quotedList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return orList(q)
}

// orList renders "a", "a or b", "a, b or c".
func orList(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}
