package runbooks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var (
	// runbookNamePattern keeps runbook names usable in workflow IDs, metric
	// labels and file names.
	runbookNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	// identPattern is an HCL identifier: diagnose names are referenced as
	// diagnosis.<name>, and remediations and actions follow the same rule.
	identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)
)

// staticCtx evaluates attributes that must be known when the runbook is
// parsed (durations, numbers, matchers): functions, no variables, so that a
// reference to alert or diagnosis there is reported as not allowed.
var staticCtx = &hcl.EvalContext{Functions: functionTable}

// parser carries the runbook being built and what the checks need to know.
type parser struct {
	rb          *Runbook
	diagnoses   map[string]hcl.Range // declared diagnose names and where
	usedTargets map[string]bool      // targets some action or diagnosis refers to
	rbBody      hcl.Body             // the runbook block's body, where definitions live
	// missing holds the diagnostics that claim an item is absent, with what
	// they claim, for dropConsequential.
	missing map[*hcl.Diagnostic]missingItem
}

// Parse parses and checks one runbook file. It returns nil and error
// diagnostics when the file is invalid; warnings come with a valid runbook.
// Parse reads nothing but src, so the workflow can call it on the pinned
// source it was started with.
func Parse(filename string, src []byte) (*Runbook, hcl.Diagnostics) {
	rb, _, diags := parseFile(filename, src)
	return rb, diags
}

func parseFile(filename string, src []byte) (*Runbook, *hcl.File, hcl.Diagnostics) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, file, diags
	}
	if diags = append(diags, CheckNumbers(file.Body)...); diags.HasErrors() {
		return nil, file, diags
	}
	content, contentDiags := file.Body.Content(fileSchema)
	diags = append(diags, contentDiags...)
	if diags.HasErrors() {
		return nil, file, diags
	}
	switch len(content.Blocks) {
	case 0:
		rng := file.Body.MissingItemRange()
		diags = append(diags, newDiag("Missing runbook block",
			"A runbook file must hold exactly one runbook block.", rng, rng))
		return nil, file, diags
	case 1:
	default:
		first, second := content.Blocks[0], content.Blocks[1]
		diags = append(diags, newDiag("Multiple runbook blocks",
			fmt.Sprintf("A runbook file holds exactly one runbook block, so that a runbook's source and SHA-256 identify it alone; another is defined at %s. Move this one to its own file.", first.DefRange),
			second.DefRange, blockRange(second)))
		return nil, file, diags
	}
	sum := sha256.Sum256(src)
	p := &parser{
		rb: &Runbook{
			Filename: filename,
			Source:   src,
			SHA256:   hex.EncodeToString(sum[:]),
		},
		diagnoses:   map[string]hcl.Range{},
		usedTargets: map[string]bool{},
		missing:     map[*hcl.Diagnostic]missingItem{},
	}
	diags = append(diags, p.runbook(content.Blocks[0])...)
	sortDiagnostics(diags)
	if diags.HasErrors() {
		return nil, file, diags
	}
	return p.rb, file, diags
}

func (p *parser) runbook(block *hcl.Block) hcl.Diagnostics {
	rb := p.rb
	rb.Name = block.Labels[0]
	rb.DeclRange = block.DefRange
	p.rbBody = block.Body
	ctx := blockRange(block)
	var diags hcl.Diagnostics
	if !runbookNamePattern.MatchString(rb.Name) {
		diags = append(diags, newDiag("Invalid runbook name",
			fmt.Sprintf("%q must start with a letter or digit and contain only letters, digits, '_', '.' and '-' (at most 128), because it names workflows and metrics.", rb.Name),
			block.LabelRanges[0], ctx))
	}
	content, contentDiags := block.Body.Content(runbookSchema)
	diags = append(diags, contentDiags...)
	if content == nil {
		return diags
	}
	if a := content.Attributes[attrDescription]; a != nil {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, staticCtx, &rb.Description)...)
	}
	if a := content.Attributes[attrOwner]; a != nil {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, staticCtx, &rb.Owner)...)
	}
	if a := content.Attributes[attrSlackChannel]; a != nil {
		if d := gohcl.DecodeExpression(a.Expr, staticCtx, &rb.SlackChannel); d.HasErrors() {
			diags = append(diags, d...)
		} else {
			diags = append(diags, checkChannel(rb.SlackChannel, a.Expr.Range(), ctx)...)
		}
	}
	if a := content.Attributes[attrMatch]; a != nil {
		diags = append(diags, p.match(a, ctx)...)
	}
	if a := content.Attributes[attrGroupBy]; a != nil {
		diags = append(diags, p.groupBy(a, ctx)...)
	}

	// Targets first: diagnoses and actions refer to them.
	names := map[string]hcl.Range{}
	for _, b := range content.Blocks.OfType(blockTarget) {
		diags = append(diags, checkName(b, "target", names)...)
		t, tDiags := p.target(b)
		diags = append(diags, tDiags...)
		if t != nil {
			rb.Targets = append(rb.Targets, t)
		}
	}

	// Diagnoses next: every other expression may refer to any of them.
	names = map[string]hcl.Range{}
	for _, b := range content.Blocks.OfType(blockDiagnose) {
		diags = append(diags, checkName(b, "diagnose", names)...)
		p.diagnoses[b.Labels[0]] = b.DefRange
	}
	for _, b := range content.Blocks.OfType(blockDiagnose) {
		d, dDiags := p.diagnose(b)
		diags = append(diags, dDiags...)
		if d != nil {
			rb.Diagnoses = append(rb.Diagnoses, d)
		}
	}
	if a := content.Attributes[attrEscalateWhen]; a != nil {
		use := exprUse{what: attrEscalateWhen, allowDiagnosis: true}
		diags = append(diags, p.checkExpr(a.Expr, use, a.Range)...)
		rb.escalateWhen = a.Expr
	}
	names = map[string]hcl.Range{}
	for _, b := range content.Blocks.OfType(blockRemediate) {
		diags = append(diags, checkName(b, "remediate", names)...)
		m, mDiags := p.remediate(b)
		diags = append(diags, mDiags...)
		if m != nil {
			rb.Remediations = append(rb.Remediations, m)
		}
	}
	escalates := content.Blocks.OfType(blockEscalate)
	diags = append(diags, atMostOne(escalates, ctx)...)
	rb.Escalate = defaultEscalate()
	if len(escalates) > 0 {
		diags = append(diags, p.escalate(escalates[0])...)
	}
	guards := content.Blocks.OfType(blockGuardrails)
	diags = append(diags, atMostOne(guards, ctx)...)
	rb.Guardrails = defaultGuardrails()
	if len(guards) > 0 {
		diags = append(diags, p.guardrails(guards[0])...)
	}
	diags = append(diags, p.checkSlackChannels(ctx)...)
	if !diags.HasErrors() {
		// Only a runbook decoded without errors shows every reference to
		// its targets (rule 3 in consequential.go).
		diags = append(diags, p.checkUnusedTargets(ctx)...)
	}
	if body, ok := block.Body.(*hclsyntax.Body); ok {
		diags = p.dropConsequential(body, diags)
	}
	return diags
}

// checkSlackChannels reports Slack sinks and approvals with nowhere to post.
func (p *parser) checkSlackChannels(ctx hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	rb := p.rb
	for i, s := range rb.Escalate.Steps {
		if s.Sink == SinkSlack && s.Channel == "" {
			if rb.SlackChannel == "" {
				diags = append(diags, newDiag("Missing Slack channel",
					"This slack sink has no channel and the runbook sets no slack_channel.", s.DeclRange, ctx))
			}
			rb.Escalate.Steps[i].Channel = rb.SlackChannel
		}
	}
	for _, m := range rb.Remediations {
		if m.Approval != nil && m.Approval.SlackChannel == "" {
			m.Approval.SlackChannel = rb.SlackChannel
		}
	}
	return diags
}

// checkName validates a block's name label and reports a duplicate with the
// position of the first definition.
func checkName(b *hcl.Block, kind string, seen map[string]hcl.Range) hcl.Diagnostics {
	name := b.Labels[0]
	if !identPattern.MatchString(name) {
		return hcl.Diagnostics{newDiag("Invalid "+kind+" name",
			fmt.Sprintf("%q must start with a letter or '_' and contain only letters, digits, '_' and '-' (at most 64), so that it can be referenced in expressions.", name),
			b.LabelRanges[0], blockRange(b))}
	}
	if prev, dup := seen[name]; dup {
		return hcl.Diagnostics{newDiag("Duplicate "+kind+" block",
			fmt.Sprintf("%s %s block named %q was already defined at %s; names must be unique.", article(kind), kind, name, prev),
			b.LabelRanges[0], blockRange(b))}
	}
	seen[name] = b.DefRange
	return nil
}

func atMostOne(blocks hcl.Blocks, context hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, b := range blocks[min(1, len(blocks)):] {
		diags = append(diags, newDiag("Duplicate "+b.Type+" block",
			fmt.Sprintf("Only one %s block is allowed; the first is at %s.", b.Type, blocks[0].DefRange),
			b.DefRange, context))
	}
	return diags
}

// exactlyOneKind checks that a block holds exactly one of the blocks its
// schema lists, and returns it.
func (p *parser) exactlyOneKind(outer *hcl.Block, inner hcl.Blocks, what string) (*hcl.Block, hcl.Diagnostics) {
	switch len(inner) {
	case 0:
		return nil, hcl.Diagnostics{p.missingFrom(newDiag("Missing "+what,
			fmt.Sprintf("%s %s block must contain exactly one %s block.", article(outer.Type), outer.Type, what),
			outer.DefRange, blockRange(outer)), outer.Body, "")}
	case 1:
		return inner[0], nil
	default:
		return nil, hcl.Diagnostics{newDiag("Multiple "+what+"s",
			fmt.Sprintf("%s %s block contains exactly one %s block; another is defined at %s.", article(outer.Type), outer.Type, what, inner[0].DefRange),
			inner[1].DefRange, blockRange(outer))}
	}
}

// parseDuration parses a non-negative Go duration attribute.
func parseDuration(s string, what string, subject, context hcl.Range) (time.Duration, hcl.Diagnostics) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, hcl.Diagnostics{newDiag("Invalid duration",
			fmt.Sprintf("%s = %q is not a duration; use a number with a unit, like \"90s\", \"5m\" or \"1h\".", what, s),
			subject, context)}
	}
	if d < 0 {
		return 0, hcl.Diagnostics{newDiag("Invalid duration",
			fmt.Sprintf("%s = %q is negative.", what, s), subject, context)}
	}
	return d, nil
}

// optDuration is parseDuration for an optional attribute with a default.
func optDuration(s *string, def time.Duration, what string, subject, context hcl.Range) (time.Duration, hcl.Diagnostics) {
	if s == nil {
		return def, nil
	}
	return parseDuration(*s, what, subject, context)
}

// article is the indefinite article for a block type in messages.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "An"
	}
	return "A"
}

// blockRange is the whole extent of a block, for diagnostic contexts.
func blockRange(b *hcl.Block) hcl.Range {
	if body, ok := b.Body.(*hclsyntax.Body); ok {
		return hcl.RangeBetween(b.DefRange, body.SrcRange)
	}
	return b.DefRange
}

func newDiag(summary, detail string, subject, context hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  subject.Ptr(),
		Context:  context.Ptr(),
	}
}

func newWarning(summary, detail string, subject, context hcl.Range) *hcl.Diagnostic {
	d := newDiag(summary, detail, subject, context)
	d.Severity = hcl.DiagWarning
	return d
}

// sortDiagnostics orders diagnostics by position, so that output does not
// depend on map iteration inside the decoder.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a != nil && b == nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Byte != b.Start.Byte:
			return a.Start.Byte < b.Start.Byte
		}
		return false
	})
}
