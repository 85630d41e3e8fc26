package runbooks

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// databaseNamePattern is what a PgBouncer database name may look like once
// templates are rendered; anything else is refused, because the name is
// sent to the admin console.
var databaseNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,62}$`)

// Action is one mutating step of a remediation. Kind says which; the
// matching accessor (PoolSize) returns its resolved parameters.
type Action struct {
	Name      string    // the block's label, unique within its remediation
	Kind      string    // KindPgBouncerPoolSize
	DeclRange hcl.Range // the action block's header

	poolSize *poolSizeDecl
	rb       *Runbook
}

// PoolSizeSpec is a pgbouncer_pool_size action resolved for one alert. It
// holds a secret's name, never its value: the activity resolves it.
type PoolSizeSpec struct {
	AdminDSNSecret string // name of the secret holding the admin console DSN
	Database       string // PgBouncer database whose pool_size changes
	Set            Amount // target size, possibly relative
	Min, Max       *int64 // clamps; nil when not set
}

type poolSizeDecl struct {
	secret   string
	database hcl.Expression
	set      Amount
	min, max *int64
}

// rawPoolSize is the pgbouncer_pool_size block as written.
type rawPoolSize struct {
	AdminDSN      hcl.Expression `hcl:"admin_dsn"`
	Database      hcl.Expression `hcl:"database"`
	Set           string         `hcl:"set"`
	SetRange      hcl.Range      `hcl:"set,attr_value_range"`
	Max           *int64         `hcl:"max,optional"`
	MaxRange      hcl.Range      `hcl:"max,attr_value_range"`
	Min           *int64         `hcl:"min,optional"`
	MinRange      hcl.Range      `hcl:"min,attr_value_range"`
	AdminDSNRange hcl.Range      `hcl:"admin_dsn,attr_value_range"`
}

// PoolSize resolves a pgbouncer_pool_size action for this alert. The
// database name is rendered without escaping and refused unless it is a
// plain identifier.
func (a *Action) PoolSize(s *Scope) (PoolSizeSpec, error) {
	if a.poolSize == nil {
		return PoolSizeSpec{}, fmt.Errorf("action %s: not a %s action", a.Name, KindPgBouncerPoolSize)
	}
	db, err := a.rb.evalTemplate(a.poolSize.database, s, noEscape, "database")
	if err != nil {
		return PoolSizeSpec{}, fmt.Errorf("action %s: %w", a.Name, err)
	}
	if !databaseNamePattern.MatchString(db) {
		return PoolSizeSpec{}, fmt.Errorf("action %s: database %q refused: want letters, digits, '_', '.' and '-', starting with a letter or '_' (at most 63)", a.Name, db)
	}
	return PoolSizeSpec{
		AdminDSNSecret: a.poolSize.secret,
		Database:       db,
		Set:            a.poolSize.set,
		Min:            a.poolSize.min,
		Max:            a.poolSize.max,
	}, nil
}

func (p *parser) action(block *hcl.Block) (*Action, hcl.Diagnostics) {
	content, diags := block.Body.Content(actionSchema)
	if content == nil {
		return nil, diags
	}
	kind, kindDiags := exactlyOneKind(block, content.Blocks, "action kind")
	diags = append(diags, kindDiags...)
	if kind == nil {
		return nil, diags
	}
	a := &Action{Name: block.Labels[0], Kind: kind.Type, DeclRange: block.DefRange, rb: p.rb}
	ps, psDiags := p.poolSize(kind)
	a.poolSize = ps
	return a, append(diags, psDiags...)
}

func (p *parser) poolSize(block *hcl.Block) (*poolSizeDecl, hcl.Diagnostics) {
	ctx := blockRange(block)
	var raw rawPoolSize
	if diags := gohcl.DecodeBody(block.Body, staticCtx, &raw); diags.HasErrors() {
		return nil, diags
	}
	var diags hcl.Diagnostics
	decl := &poolSizeDecl{database: raw.Database, min: raw.Min, max: raw.Max}

	// admin_dsn: a literal secret("name") call and nothing else, so that a
	// DSN can never be written into a runbook or built from alert labels.
	call, isCall := raw.AdminDSN.(*hclsyntax.FunctionCallExpr)
	if !isCall || call.Name != funcSecret {
		diags = append(diags, newDiag("admin_dsn must be a secret() call",
			"Write admin_dsn = secret(\"name\"): credentials never live in runbooks; the engine resolves the name from its secrets directory or environment.",
			raw.AdminDSNRange, ctx))
	} else {
		v, d := raw.AdminDSN.Value(staticCtx)
		diags = append(diags, d...)
		if !d.HasErrors() && v.Type() == secretType && v.IsKnown() && !v.IsNull() {
			decl.secret = *v.EncapsulatedValue().(*string)
		}
	}

	diags = append(diags, p.checkExpr(raw.Database, exprUse{what: "database", template: true, allowDiagnosis: true}, ctx)...)
	if len(raw.Database.Variables()) == 0 && !diags.HasErrors() {
		if v, d := raw.Database.Value(staticCtx); !d.HasErrors() && v.Type() == cty.String {
			if db := v.AsString(); !databaseNamePattern.MatchString(db) {
				diags = append(diags, newDiag("Invalid database name",
					fmt.Sprintf("%q is not a PgBouncer database name: want letters, digits, '_', '.' and '-', starting with a letter or '_' (at most 63).", db),
					raw.Database.Range(), ctx))
			}
		}
	}

	set, err := ParseAmount(raw.Set)
	if err != nil {
		diags = append(diags, newDiag("Invalid amount", err.Error()+".", raw.SetRange, ctx))
	}
	decl.set = set
	if raw.Min != nil && *raw.Min < 0 {
		diags = append(diags, newDiag("Invalid min", "min cannot be negative.", raw.MinRange, ctx))
	}
	if raw.Max != nil && *raw.Max < 0 {
		diags = append(diags, newDiag("Invalid max", "max cannot be negative.", raw.MaxRange, ctx))
	}
	if raw.Min != nil && raw.Max != nil && *raw.Min > *raw.Max {
		diags = append(diags, newDiag("Invalid bounds",
			fmt.Sprintf("min (%d) is greater than max (%d).", *raw.Min, *raw.Max), raw.MinRange, ctx))
	}
	switch {
	case err != nil:
	case set.Op == '+' && raw.Max == nil:
		diags = append(diags, newDiag("Unbounded relative action",
			fmt.Sprintf("set = %q grows the pool each time the remediation runs; add max to bound it.", raw.Set), raw.SetRange, ctx))
	case set.Op == '-' && raw.Min == nil:
		diags = append(diags, newDiag("Unbounded relative action",
			fmt.Sprintf("set = %q shrinks the pool each time the remediation runs; add min to bound it.", raw.Set), raw.SetRange, ctx))
	case set.Op == '=' && ((raw.Max != nil && set.Value > float64(*raw.Max)) || (raw.Min != nil && set.Value < float64(*raw.Min))):
		diags = append(diags, newWarning("Amount outside bounds",
			fmt.Sprintf("set = %q is outside min/max and will be clamped.", raw.Set), raw.SetRange, ctx))
	}
	return decl, diags
}
