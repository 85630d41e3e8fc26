package runbooks

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// DatabaseNamePattern is what a PgBouncer database name may look like once
// templates are rendered; anything else is refused, because the name is
// sent to the admin console. Runbook checks and the remediation activity
// both refuse by it, so a name the runbook accepts is never refused later.
const DatabaseNamePattern = `^[A-Za-z_][A-Za-z0-9_.-]{0,62}$`

var databaseNameRE = regexp.MustCompile(DatabaseNamePattern)

// ValidDatabaseName reports whether name matches DatabaseNamePattern.
func ValidDatabaseName(name string) bool {
	return databaseNameRE.MatchString(name)
}

// Action is one mutating step of a remediation. Kind says which; the
// matching accessor (PoolSize, or Kube for the kubernetes_* kinds) returns
// its resolved parameters.
type Action struct {
	Name      string    // the block's label, unique within its remediation
	Kind      string    // KindPgBouncerPoolSize or one of the KindKube* kinds
	DeclRange hcl.Range // the action block's header

	poolSize *poolSizeDecl
	kube     *kubeActionDecl
	rb       *Runbook
}

// CanRestore reports whether the engine can return what this action changed
// to its prior state, which verify's rollback relies on. Only a deleted pod
// cannot come back: its replacement is a new pod.
func (a *Action) CanRestore() bool {
	return a.Kind != KindKubeDeletePod
}

// TargetName is the name of the target block the action acts on, or ""
// for kinds that name their object themselves (pgbouncer_pool_size).
func (a *Action) TargetName() string {
	if a.kube == nil || a.kube.target == nil {
		return ""
	}
	return a.kube.target.Name
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
	DatabaseRange hcl.Range      `hcl:"database,attr_value_range"`
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
	if !ValidDatabaseName(db) {
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
	kind, kindDiags := p.exactlyOneKind(block, content.Blocks, "action kind")
	diags = append(diags, kindDiags...)
	if kind == nil {
		return nil, diags
	}
	a := &Action{Name: block.Labels[0], Kind: kind.Type, DeclRange: block.DefRange, rb: p.rb}
	if kind.Type == KindPgBouncerPoolSize {
		ps, psDiags := p.poolSize(kind)
		a.poolSize = ps
		return a, append(diags, psDiags...)
	}
	k, kDiags := p.kubeAction(kind)
	a.kube = k
	return a, append(diags, kDiags...)
}

func (p *parser) poolSize(block *hcl.Block) (*poolSizeDecl, hcl.Diagnostics) {
	ctx := blockRange(block)
	var raw rawPoolSize
	if diags := gohcl.DecodeBody(block.Body, staticCtx, &raw); diags.HasErrors() {
		return nil, diags
	}
	var diags hcl.Diagnostics
	decl := &poolSizeDecl{database: raw.Database, min: raw.Min, max: raw.Max}
	// gohcl leaves an absent expression attribute to the caller (a null
	// expression with no range), so required ones are checked here, with
	// HCL's own wording, at the block's missing-item position.
	missing := false
	for _, a := range []struct {
		name string
		rng  hcl.Range
	}{{"admin_dsn", raw.AdminDSNRange}, {"database", raw.DatabaseRange}} {
		if a.rng.Filename == "" {
			missing = true
			diags = append(diags, newDiag("Missing required argument",
				fmt.Sprintf("The argument %q is required, but no definition was found.", a.name),
				block.Body.MissingItemRange(), ctx))
		}
	}
	if missing {
		return nil, diags
	}

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
			if db := v.AsString(); !ValidDatabaseName(db) {
				diags = append(diags, newDiag("Invalid database name",
					fmt.Sprintf("%q is not a PgBouncer database name: want letters, digits, '_', '.' and '-', starting with a letter or '_' (at most 63).", db),
					raw.Database.Range(), ctx))
			}
		}
	}

	set, d := checkAmount(amountBounds{
		set: raw.Set, setRange: raw.SetRange,
		min: raw.Min, minRange: raw.MinRange,
		max: raw.Max, maxRange: raw.MaxRange,
		what: "pool",
	}, ctx)
	decl.set = set
	diags = append(diags, d...)
	return decl, diags
}

// amountBounds is a set amount with its min/max clamps as written.
type amountBounds struct {
	set                          string
	min, max                     *int64
	setRange, minRange, maxRange hcl.Range
	what                         string // what grows or shrinks, for messages: "pool"
	limit                        int64  // the largest size allowed; 0 = no limit
	unit                         string // what limit counts, for messages: "replicas"
}

// checkAmount parses a set amount and checks it against its clamps: a
// relative amount needs the bound in its direction, or it would grow (or
// shrink) every time the remediation runs.
func checkAmount(b amountBounds, ctx hcl.Range) (Amount, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	set, err := ParseAmount(b.set)
	if err != nil {
		diags = append(diags, newDiag("Invalid amount", err.Error()+".", b.setRange, ctx))
	}
	if b.min != nil && *b.min < 0 {
		diags = append(diags, newDiag("Invalid min", "min cannot be negative.", b.minRange, ctx))
	}
	if b.max != nil && *b.max < 0 {
		diags = append(diags, newDiag("Invalid max", "max cannot be negative.", b.maxRange, ctx))
	}
	if b.limit > 0 {
		if b.max != nil && *b.max > b.limit {
			diags = append(diags, newDiag("Invalid max",
				fmt.Sprintf("max (%d) is more than %d %s, the most firebreak will set.", *b.max, b.limit, b.unit), b.maxRange, ctx))
		}
		if b.min != nil && *b.min > b.limit {
			diags = append(diags, newDiag("Invalid min",
				fmt.Sprintf("min (%d) is more than %d %s, the most firebreak will set.", *b.min, b.limit, b.unit), b.minRange, ctx))
		}
		if err == nil && set.Op == '=' && set.Value > float64(b.limit) {
			diags = append(diags, newDiag("Invalid amount",
				fmt.Sprintf("set = %q is more than %d %s, the most firebreak will set.", b.set, b.limit, b.unit), b.setRange, ctx))
		}
	}
	if b.min != nil && b.max != nil && *b.min > *b.max {
		diags = append(diags, newDiag("Invalid bounds",
			fmt.Sprintf("min (%d) is greater than max (%d).", *b.min, *b.max), b.minRange, ctx))
	}
	switch {
	case err != nil:
	case set.Op == '+' && b.max == nil:
		diags = append(diags, newDiag("Unbounded relative action",
			fmt.Sprintf("set = %q grows the %s each time the remediation runs; add max to bound it.", b.set, b.what), b.setRange, ctx))
	case set.Op == '-' && b.min == nil:
		diags = append(diags, newDiag("Unbounded relative action",
			fmt.Sprintf("set = %q shrinks the %s each time the remediation runs; add min to bound it.", b.set, b.what), b.setRange, ctx))
	case set.Op == '=' && ((b.max != nil && set.Value > float64(*b.max)) || (b.min != nil && set.Value < float64(*b.min))):
		diags = append(diags, newWarning("Amount outside bounds",
			fmt.Sprintf("set = %q is outside min/max and will be clamped.", b.set), b.setRange, ctx))
	}
	return set, diags
}
