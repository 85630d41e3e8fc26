package runbooks

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// exprUse says where an expression sits, which decides what it may see and
// what it must produce.
type exprUse struct {
	what           string // attribute name for messages, e.g. "when"
	template       bool   // a string template whose interpolations get escaped
	str            bool   // any expression producing a string (validated, not escaped)
	allowDiagnosis bool   // diagnoses cannot see each other, nor targets; everything else can
	noDiagnosisWhy string // why diagnosis.* is not allowed, when not in a diagnose block
}

// references are the label and annotation names a runbook reads by name;
// evaluation fills the ones an alert lacks with "".
type references struct {
	labels      []string
	annotations []string
}

func addName(list []string, name string) []string {
	i := sort.SearchStrings(list, name)
	if i < len(list) && list[i] == name {
		return list
	}
	list = append(list, "")
	copy(list[i+1:], list[i:])
	list[i] = name
	return list
}

// stepName is the attribute name a traversal step selects, when static.
func stepName(s hcl.Traverser) (string, bool) {
	switch s := s.(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

// checkExpr validates an expression statically: templates are templates,
// every function exists and secret() stays in admin_dsn, every reference
// names a real scope variable and a declared diagnosis (of the right kind:
// prometheus and kubernetes_rollout diagnoses have different attributes),
// target.* appears nowhere (targets are referenced only by target
// attributes, which never reach checkExpr), and the value has the right
// type. It records the label names the expression reads.
func (p *parser) checkExpr(expr hcl.Expression, use exprUse, context hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if use.template {
		switch expr.(type) {
		case *hclsyntax.TemplateExpr, *hclsyntax.TemplateWrapExpr:
		default:
			diags = append(diags, newDiag("Template required",
				fmt.Sprintf("%s must be a quoted string; use ${...} to interpolate, so that label values can be escaped for their destination.", use.what),
				expr.Range(), context))
			return diags
		}
	}
	if node, ok := expr.(hclsyntax.Node); ok {
		hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
			call, ok := n.(*hclsyntax.FunctionCallExpr)
			if !ok {
				return nil
			}
			switch _, known := functionTable[call.Name]; {
			case !known:
				diags = append(diags, newDiag("Call to unknown function",
					fmt.Sprintf("There is no function named %q. Runbook expressions can only call pure functions; see docs/runbooks.md.", call.Name),
					call.NameRange, context))
			case call.Name == funcSecret:
				diags = append(diags, newDiag("secret() is not allowed here",
					fmt.Sprintf("Secrets can only be passed to admin_dsn, never into %s, so that they cannot end up in queries, logs or workflow history.", use.what),
					call.Range(), context))
			}
			return nil
		})
	}
	for _, t := range expr.Variables() {
		if d := p.checkTraversal(t, use, context); d != nil {
			diags = append(diags, d)
		}
	}
	if diags.HasErrors() {
		return diags
	}
	v, valDiags := expr.Value(p.typeCheckContext(use.allowDiagnosis))
	for _, d := range valDiags {
		if d.Context == nil {
			d.Context = context.Ptr()
		}
	}
	diags = append(diags, valDiags...)
	if valDiags.HasErrors() {
		return diags
	}
	want, wantName := cty.Bool, "a bool"
	if use.template || use.str {
		want, wantName = cty.String, "a string"
	}
	if _, err := convert.Convert(v, want); err != nil {
		diags = append(diags, newDiag("Invalid "+use.what+" value",
			fmt.Sprintf("%s must be %s: %s.", use.what, wantName, err), expr.Range(), context))
	}
	return diags
}

func (p *parser) checkTraversal(t hcl.Traversal, use exprUse, context hcl.Range) *hcl.Diagnostic {
	rng := t.SourceRange()
	switch t.RootName() {
	case varAlert:
		if len(t) < 2 {
			return nil
		}
		name, ok := stepName(t[1])
		switch {
		case !ok:
			return newDiag("Invalid alert reference", "Refer to alert attributes by name, like alert.labels.service.", rng, context)
		case name == alertLabels || name == alertAnnotations:
			if len(t) > 2 {
				if key, ok := stepName(t[2]); ok {
					if name == alertLabels {
						p.rb.refs.labels = addName(p.rb.refs.labels, key)
					} else {
						p.rb.refs.annotations = addName(p.rb.refs.annotations, key)
					}
				}
			}
		case name == alertStatus || name == alertFingerprint || name == alertGeneratorURL:
		default:
			return newDiag("Unsupported alert attribute",
				fmt.Sprintf("alert has no attribute %q; it has labels, annotations, status, fingerprint and generator_url.", name), rng, context)
		}
		return nil
	case varDiagnosis:
		if !use.allowDiagnosis {
			why := use.noDiagnosisWhy
			if why == "" {
				why = "A diagnose block cannot read diagnoses: they all run before any of them is known."
			}
			return newDiag("Diagnosis not available here", why+" Use alert.* here.", rng, context)
		}
		if len(t) < 2 {
			return newDiag("Invalid diagnosis reference", "Refer to a diagnosis by name, like diagnosis.waiting.value.", rng, context)
		}
		name, ok := stepName(t[1])
		if !ok {
			return newDiag("Invalid diagnosis reference", "Refer to a diagnosis by name, like diagnosis.waiting.value.", rng, context)
		}
		if _, declared := p.diagnoses[name]; !declared {
			return p.missingFrom(newDiag("Reference to undefined diagnosis",
				fmt.Sprintf("There is no diagnose block named %q in this runbook.%s", name, p.declaredDiagnoses()), rng, context), p.rbBody, name)
		}
		d := p.rb.Diagnosis(name)
		if d == nil || len(t) < 3 {
			return nil // the diagnose block itself is invalid and already reported
		}
		attr, ok := stepName(t[2])
		if d.Kubernetes != nil {
			if !ok || !slices.Contains(kubeDiagAttrs, attr) {
				return newDiag("Unsupported diagnosis attribute",
					fmt.Sprintf("diagnosis.%s is a %s diagnosis; it has the attributes %s.%s", name, DiagnoseKubeRollout, strings.Join(kubeDiagAttrs, ", "), otherKind(attr, promDiagAttrs, blockPrometheus)), rng, context)
			}
			return p.checkKubePath(t, d, rng, context)
		}
		if !ok || !slices.Contains(promDiagAttrs, attr) {
			return newDiag("Unsupported diagnosis attribute",
				fmt.Sprintf("diagnosis.%s is a %s diagnosis; it has the attributes %s.%s", name, blockPrometheus, strings.Join(promDiagAttrs, ", "), otherKind(attr, kubeDiagAttrs, DiagnoseKubeRollout)), rng, context)
		}
		return nil
	case attrTarget:
		return newDiag("Target reference not allowed here",
			fmt.Sprintf("target.* can only be the value of a target attribute in a Kubernetes action or diagnose block (target = target.app); %s can read alert.* and diagnosis.*.", use.what), rng, context)
	default:
		return newDiag("Unknown variable",
			fmt.Sprintf("There is no variable named %q; expressions can read alert and diagnosis.", t.RootName()), rng, context)
	}
}

// otherKind explains an attribute that belongs to the other diagnosis kind.
func otherKind(attr string, attrs []string, kind string) string {
	if slices.Contains(attrs, attr) && attr != diagError && attr != diagFound {
		return fmt.Sprintf(" %s belongs to %s diagnoses.", attr, kind)
	}
	return ""
}

// checkKubePath checks the rest of a reference into a kubernetes
// diagnosis. It names the attributes a group has (the type check would only
// say that one is missing), and checks literal keys into its maps:
// logs.matches only ever holds the classify classes, so another key is an
// error; pods.*_reasons always hold the well-known reasons, so another key
// fails whenever no container reported it, which deserves a warning.
func (p *parser) checkKubePath(t hcl.Traversal, d *Diagnose, rng, context hcl.Range) *hcl.Diagnostic {
	if len(t) < 4 {
		return nil
	}
	group, ok1 := stepName(t[2])
	field, ok2 := stepName(t[3])
	if ty, isObject := kubeGroupTypes[group]; isObject && ok1 && ok2 && !ty.HasAttribute(field) {
		return newDiag("Unsupported diagnosis attribute",
			fmt.Sprintf("diagnosis.%s.%s has no attribute %q; it has %s.", d.Name, group, field, strings.Join(slices.Sorted(maps.Keys(ty.AttributeTypes())), ", ")),
			rng, context)
	}
	if len(t) < 5 {
		return nil
	}
	key, ok3 := stepName(t[4])
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	switch {
	case group == kubeLogs && field == kubeMatches:
		if _, ok := d.Kubernetes.Classify[key]; ok {
			return nil
		}
		classes := "It declares no classify classes."
		if names := d.ClassNames(); len(names) > 0 {
			classes = "Its classes: " + strings.Join(names, ", ") + "."
		}
		return newDiag("Unknown class",
			fmt.Sprintf("%q is not a classify class of diagnosis.%s, so logs.matches never holds it. %s", key, d.Name, classes), rng, context)
	case group == kubePods && (field == kubeTerminationReasons || field == kubeWaitingReasons):
		known := terminationReasons
		if field == kubeWaitingReasons {
			known = waitingReasons
		}
		if slices.Contains(known, key) {
			return nil
		}
		return newWarning("Reason may be missing",
			fmt.Sprintf("%s[%q] fails when no container reported %s; only %s are always present. Use lookup(diagnosis.%s.%s.%s, %q, 0).",
				field, key, key, strings.Join(known, ", "), d.Name, group, field, key), rng, context)
	}
	return nil
}

func (p *parser) declaredDiagnoses() string {
	if len(p.diagnoses) == 0 {
		return " It declares none."
	}
	names := make([]string, 0, len(p.diagnoses))
	for n := range p.diagnoses {
		names = append(names, n)
	}
	sort.Strings(names)
	return " Declared: " + strings.Join(names, ", ") + "."
}

// evalBool evaluates a condition.
func (r *Runbook) evalBool(expr hcl.Expression, s *Scope, what string) (bool, error) {
	v, diags := expr.Value(r.evalContext(s))
	if diags.HasErrors() {
		return false, fmt.Errorf("evaluate %s: %w", what, diags)
	}
	v, err := convert.Convert(v, cty.Bool)
	if err != nil {
		return false, fmt.Errorf("evaluate %s: %w", what, err)
	}
	if v.IsNull() || !v.IsKnown() {
		return false, fmt.Errorf("evaluate %s: result is null", what)
	}
	return v.True(), nil
}

// evalTemplate renders a template, passing every value computed from
// variables or functions through escape, while text written in the runbook
// itself (the literal parts, and the literal branches of conditionals and
// %{if} directives) is kept as written.
func (r *Runbook) evalTemplate(expr hcl.Expression, s *Scope, escape escaper, what string) (string, error) {
	switch expr.(type) {
	case *hclsyntax.TemplateExpr, *hclsyntax.TemplateWrapExpr:
	default:
		return "", fmt.Errorf("evaluate %s: not a template", what)
	}
	var b strings.Builder
	if err := render(&b, expr.(hclsyntax.Expression), r.evalContext(s), escape); err != nil {
		return "", fmt.Errorf("evaluate %s: %w", what, err)
	}
	return b.String(), nil
}

// escaper makes an interpolated value safe for its destination, given the
// text rendered before it; it refuses a value it cannot make safe there.
type escaper func(prefix string, v cty.Value) (string, error)

func render(b *strings.Builder, expr hclsyntax.Expression, ctx *hcl.EvalContext, escape escaper) error {
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		for _, part := range e.Parts {
			if lit, ok := part.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String {
				b.WriteString(lit.Val.AsString())
				continue
			}
			if err := render(b, part, ctx, escape); err != nil {
				return err
			}
		}
		return nil
	case *hclsyntax.TemplateWrapExpr:
		return render(b, e.Wrapped, ctx, escape)
	case *hclsyntax.ConditionalExpr:
		cond, diags := e.Condition.Value(ctx)
		if diags.HasErrors() {
			return diags
		}
		cond, err := convert.Convert(cond, cty.Bool)
		if err != nil {
			return fmt.Errorf("condition: %w", err)
		}
		if cond.IsNull() || !cond.IsKnown() {
			return fmt.Errorf("condition is null")
		}
		if cond.True() {
			return render(b, e.TrueResult, ctx, escape)
		}
		return render(b, e.FalseResult, ctx, escape)
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	if v.IsNull() || !v.IsKnown() {
		return fmt.Errorf("interpolated value is null")
	}
	out, err := escape(b.String(), v)
	if err != nil {
		return err
	}
	b.WriteString(out)
	return nil
}

// asString converts an interpolated value to its string form.
func asString(v cty.Value) (string, error) {
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", err
	}
	if sv.IsNull() || !sv.IsKnown() {
		return "", fmt.Errorf("interpolated value is null")
	}
	return sv.AsString(), nil
}

// EscapePromQLString escapes s for use inside a double-quoted PromQL string:
// backslashes, double quotes, newlines and other control characters become
// escape sequences, so a hostile label value cannot close the string and
// append its own query.
func EscapePromQLString(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// promQLEscape is the escaper of PromQL templates. Inside a double-quoted
// string a value is escaped for it; anywhere else (outside any string, or
// inside a single-quoted or backtick string, whose escaping differs) only a
// number may be interpolated: a string there could end the selector and
// append a query of its own (`up{job='${alert.labels.job}'}` with the value
// `x'} or vector(1) or up{a='`).
func promQLEscape(prefix string, v cty.Value) (string, error) {
	if promQLInDoubleQuotes(prefix) {
		s, err := asString(v)
		return EscapePromQLString(s), err
	}
	if v.Type() == cty.Number {
		return asString(v)
	}
	return "", fmt.Errorf("a string is interpolated outside a double-quoted PromQL string; write it as \"${...}\" so it can be escaped")
}

// promQLInDoubleQuotes reports whether PromQL text ends inside an open
// double-quoted string, following PromQL's lexer: "..." and '...' with
// backslash escapes, `...` raw, and # comments to the end of the line. Text
// that ends in a pending backslash escape is not a safe place.
func promQLInDoubleQuotes(text string) bool {
	var quote byte // 0 outside strings, else the open string's quote
	comment := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case comment:
			comment = c != '\n'
		case quote == 0 && c == '#':
			comment = true
		case quote == 0 && (c == '"' || c == '\'' || c == '`'):
			quote = c
		case quote != 0 && quote != '`' && c == '\\':
			if i == len(text)-1 {
				// A backslash written just before the interpolation would
				// escape the value's first character: refuse.
				return false
			}
			i++ // the escaped character cannot close the string
		case quote != 0 && c == quote:
			quote = 0
		}
	}
	return quote == '"'
}

// noEscape passes a value through unchanged, for destinations that
// validate the result instead (names, database identifiers).
func noEscape(_ string, v cty.Value) (string, error) { return asString(v) }
