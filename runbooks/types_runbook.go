package runbooks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/prometheus/alertmanager/pkg/labels"
)

// labelNamePattern is the classic Prometheus label name; group_by names must
// be real label names or the grouping would silently use "".
var labelNamePattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Runbook is one parsed and checked runbook: which alerts it owns, what it
// looks at, what it may do and when, and whom it calls. It carries its source
// and the source's SHA-256 so that an incident can be pinned to exactly the
// text it started with.
type Runbook struct {
	Name         string          // the runbook block's label, unique across a Set
	Description  string          // free text for people
	Owner        string          // team or person answerable for the runbook
	Filename     string          // the file it was parsed from
	Source       []byte          // the file's bytes, as parsed
	SHA256       string          // hex SHA-256 of Source
	Matchers     labels.Matchers // all must match an alert's labels
	GroupBy      []string        // labels that make one incident; empty means per alert fingerprint
	Targets      []*Target       // in file order; what Kubernetes actions and diagnoses act on
	Diagnoses    []*Diagnose     // in file order
	Remediations []*Remediation  // in file order; the first whose when holds runs
	Escalate     Escalate        // where escalations go
	SlackChannel string          // the incident's Slack thread lives here; "" = no incident thread
	Guardrails   Guardrails      // limits on acting
	DeclRange    hcl.Range       // the runbook block's header
	MatchRange   hcl.Range       // the match attribute, for overlap warnings

	escalateWhen hcl.Expression // nil when absent
	refs         references
}

// Matches reports whether an alert with labels ls belongs to this runbook:
// every matcher must accept the label's value, a missing label reading as "",
// as in Alertmanager routing.
func (r *Runbook) Matches(ls map[string]string) bool {
	for _, m := range r.Matchers {
		if !m.Matches(ls[m.Name]) {
			return false
		}
	}
	return true
}

// IncidentKey identifies the incident an alert belongs to within this
// runbook: the group_by labels as "k=v" pairs joined by "," in group_by
// order, or "fingerprint=<fp>" without group_by. Values are escaped ('\\',
// ',' and '=' get a backslash) so that distinct label sets never share a key.
// The key is deterministic because it names a workflow.
func (r *Runbook) IncidentKey(labels map[string]string, fingerprint string) string {
	if len(r.GroupBy) == 0 {
		return "fingerprint=" + fingerprint
	}
	var b strings.Builder
	for i, name := range r.GroupBy {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(keyEscaper.Replace(labels[name]))
	}
	return b.String()
}

var keyEscaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `=`, `\=`)

// ShouldEscalate evaluates escalate_when: true means skip remediation and
// hand the diagnosis to people. It is false when escalate_when is absent.
func (r *Runbook) ShouldEscalate(s *Scope) (bool, error) {
	if r.escalateWhen == nil {
		return false, nil
	}
	ok, err := r.evalBool(r.escalateWhen, s, attrEscalateWhen)
	if err != nil {
		return false, fmt.Errorf("runbook %s: %w", r.Name, err)
	}
	return ok, nil
}

// Diagnosis returns the diagnose block with the given name, or nil.
func (r *Runbook) Diagnosis(name string) *Diagnose {
	for _, d := range r.Diagnoses {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// match parses the match list with Alertmanager's own matcher parser, so a
// runbook selects alerts exactly as a route would.
func (p *parser) match(a *hcl.Attribute, context hcl.Range) hcl.Diagnostics {
	var strs []string
	if diags := gohcl.DecodeExpression(a.Expr, staticCtx, &strs); diags.HasErrors() {
		return diags
	}
	if len(strs) == 0 {
		return hcl.Diagnostics{newDiag("Empty match",
			"match needs at least one matcher; a runbook for every alert is almost certainly a mistake.", a.Expr.Range(), context)}
	}
	var diags hcl.Diagnostics
	for i, s := range strs {
		rng := elementRange(a.Expr, i)
		var ms []*labels.Matcher
		var err error
		if strings.HasPrefix(strings.TrimSpace(s), "{") {
			ms, err = labels.ParseMatchers(s)
		} else {
			var m *labels.Matcher
			if m, err = labels.ParseMatcher(s); err == nil {
				ms = []*labels.Matcher{m}
			}
		}
		if err != nil {
			diags = append(diags, newDiag("Invalid matcher",
				fmt.Sprintf("%q: %s. Use Alertmanager matcher syntax, like alertname=\"HighErrorRate\" or service=~\"api|web\".", s, err),
				rng, a.Range))
			continue
		}
		p.rb.Matchers = append(p.rb.Matchers, ms...)
	}
	p.rb.MatchRange = a.Range
	return diags
}

func (p *parser) groupBy(a *hcl.Attribute, context hcl.Range) hcl.Diagnostics {
	var names []string
	if diags := gohcl.DecodeExpression(a.Expr, staticCtx, &names); diags.HasErrors() {
		return diags
	}
	var diags hcl.Diagnostics
	seen := map[string]int{}
	for i, n := range names {
		rng := elementRange(a.Expr, i)
		if !labelNamePattern.MatchString(n) {
			diags = append(diags, newDiag("Invalid group_by label",
				fmt.Sprintf("%q is not a label name: use letters, digits and '_', not starting with a digit.", n), rng, context))
			continue
		}
		if j, dup := seen[n]; dup {
			diags = append(diags, newDiag("Duplicate group_by label",
				fmt.Sprintf("%q is already listed at %s.", n, elementRange(a.Expr, j)), rng, context))
			continue
		}
		seen[n] = i
		p.rb.GroupBy = append(p.rb.GroupBy, n)
	}
	return diags
}

// elementRange is the position of element i of a list literal, or of the
// whole expression when it is not one.
func elementRange(expr hcl.Expression, i int) hcl.Range {
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok && i < len(t.Exprs) {
		return t.Exprs[i].Range()
	}
	return expr.Range()
}
