package archtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fakeMod = "example.com/fb"

// fakePackages builds a package list the way LoadPackages returns it from
// module-relative import lists ("std:" marks a non-module import).
func fakePackages(imports map[string][]string) map[string]*Package {
	abs := func(rel string) string {
		if s, ok := strings.CutPrefix(rel, "std:"); ok {
			return s
		}
		return fakeMod + "/" + rel
	}
	pkgs := make(map[string]*Package)
	for rel, imps := range imports {
		p := &Package{ImportPath: abs(rel)}
		for _, i := range imps {
			p.Imports = append(p.Imports, abs(i))
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, rel string
		want         bool
	}{
		{"internal/cli", "internal/cli", true},
		{"internal/cli", "internal/cli/sub", false},
		{"internal/cli", "internal/clix", false},
		{"integrations/...", "integrations", true},
		{"integrations/...", "integrations/slack", true},
		{"integrations/...", "integrations/slack/blocks", true},
		{"integrations/...", "integrationsx", false},
		{"...", "anything/at/all", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.rel, func(t *testing.T) {
			assert.Equal(t, tt.want, Match(tt.pattern, tt.rel))
		})
	}
}

func TestCheckImports(t *testing.T) {
	rules := []Rule{
		{Name: "leaf", From: []string{"leaf/..."}, Kind: AllowList, Reason: "leaf reason"},
		{Name: "integrations", From: []string{"integrations/..."}, Kind: AllowList, OwnSubpackages: true, Reason: "integration reason"},
		{Name: "config", From: []string{"config"}, Kind: AllowList, Allow: []string{"secrets"}, Reason: "config reason"},
		{Name: "workflows", From: []string{"workflows"}, Kind: DenyList, Deny: []string{"activities/..."}, Reason: "workflows reason"},
		{Name: "no helpers", From: []string{"..."}, Except: []string{"examples/..."}, Kind: DenyList, Deny: []string{"testutil/..."}, Reason: "helper reason"},
	}
	require.NoError(t, ValidateRules(rules))
	tests := []struct {
		name    string
		imports map[string][]string
		want    []string
	}{
		{
			name: "compliant",
			imports: map[string][]string{
				"leaf":                   {"std:fmt", "std:github.com/other/mod"},
				"integrations/slack":     {"integrations/slack/blocks", "std:github.com/slack-go/slack"},
				"integrations/slack/blk": nil,
				"config":                 {"secrets", "std:os"},
				"workflows":              {"leaf", "config", "diagnose"},
				"examples/demo":          {"testutil"},
				"testutil":               {"leaf"},
			},
		},
		{
			name:    "allow-list with nothing allowed",
			imports: map[string][]string{"leaf/sub": {"workflows", "std:fmt"}},
			want:    []string{`leaf/sub imports workflows: leaf reason (rule "leaf")`},
		},
		{
			name:    "allow-list",
			imports: map[string][]string{"config": {"secrets", "activities", "workflows"}},
			want: []string{
				`config imports activities: config reason (rule "config")`,
				`config imports workflows: config reason (rule "config")`,
			},
		},
		{
			name: "own subpackages only, not a sibling's",
			imports: map[string][]string{
				"integrations/slack": {"integrations/slack/blocks", "integrations/pagerduty", "incident"},
			},
			want: []string{
				`integrations/slack imports incident: integration reason (rule "integrations")`,
				`integrations/slack imports integrations/pagerduty: integration reason (rule "integrations")`,
			},
		},
		{
			name:    "deny-list",
			imports: map[string][]string{"workflows": {"diagnose", "activities", "activities/sub"}},
			want: []string{
				`workflows imports activities: workflows reason (rule "workflows")`,
				`workflows imports activities/sub: workflows reason (rule "workflows")`,
			},
		},
		{
			name: "a package under two rules breaks both",
			imports: map[string][]string{
				"config":        {"testutil/fake"},
				"examples/demo": {"testutil/fake"},
			},
			want: []string{
				`config imports testutil/fake: config reason (rule "config")`,
				`config imports testutil/fake: helper reason (rule "no helpers")`,
			},
		},
		{
			name:    "imports outside the module are never judged",
			imports: map[string][]string{"std:github.com/x/y": {"std:" + fakeMod + "x/activities"}, "leaf": {"std:" + fakeMod + "x/activities"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range CheckImports(fakeMod, fakePackages(tt.imports), rules) {
				got = append(got, v.String())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestImportRulesTable runs the real table against the target layering,
// which must pass, and against one upstream import per rule, which must
// each be reported under that rule.
func TestImportRulesTable(t *testing.T) {
	require.NoError(t, ValidateRules(importRules))
	target := map[string][]string{
		"cmd/firebreak":                    {"internal/cli"},
		"internal/cli":                     {"internal/engine", "internal/config", "internal/hclcmd", "internal/devserver", "internal/approvals", "internal/guard", "internal/intake", "workflows", "runbooks", "integrations/slack", "internal/incident"},
		"internal/engine":                  {"activities", "internal/intake", "internal/approvals", "internal/guard", "workflows", "diagnose", "internal/config", "internal/secrets"},
		"internal/intake":                  {"workflows", "runbooks", "internal/incident", "internal/metrics", "internal/bearer"},
		"internal/approvals":               {"workflows", "integrations/slack", "internal/bearer"},
		"internal/guard":                   {"workflows", "internal/metrics"},
		"activities":                       {"workflows", "diagnose", "remediate", "escalate", "internal/incident"},
		"workflows":                        {"diagnose", "remediate", "escalate", "runbooks", "internal/incident", "internal/metrics"},
		"diagnose":                         {"integrations/prometheus", "runbooks", "internal/incident", "internal/logging"},
		"remediate":                        {"integrations/pgbouncer", "internal/secrets"},
		"escalate":                         {"integrations/slack", "integrations/pagerduty", "internal/metrics"},
		"integrations/slack":               {"integrations/slack/blocks"},
		"runbooks":                         nil,
		"internal/config":                  {"internal/secrets", "runbooks"},
		"internal/hclcmd":                  {"runbooks", "internal/config"},
		"internal/incident":                {"runbooks"},
		"internal/kubeclient":              {"internal/config"},
		"internal/devserver/devservertest": {"internal/devserver", "internal/testutil"},
		"examples/bad-deploy/cluster":      {"internal/testutil"},
	}
	assert.Empty(t, CheckImports(fakeMod, fakePackages(target), importRules), "the target layering breaks the table")

	tests := []struct{ from, imp, rule string }{
		{"cmd/firebreak", "internal/engine", "cmd is a thin main"},
		{"internal/cli", "cmd/firebreak", "cli is below cmd"},
		{"internal/engine", "internal/cli", "engine is the composition root"},
		{"internal/guard", "activities", "edges talk to workflows through their contract"},
		{"internal/operator", "remediate", "edges talk to workflows through their contract"},
		{"activities", "internal/approvals", "activities are the worker's, not the edges'"},
		{"workflows", "internal/config", "workflows are replayable and config-free"},
		{"diagnose", "remediate", "diagnose is an independent step"},
		{"remediate", "workflows", "remediate is an independent step"},
		{"escalate", "activities", "escalate is an independent step"},
		{"integrations/slack", "internal/incident", "integrations are leaves"},
		{"runbooks", "internal/secrets", "runbooks is a leaf"},
		{"internal/config", "activities", "config is a leaf"},
		{"internal/metrics", "internal/incident", "shared types are leaves"},
		{"internal/incident", "workflows", "the record speaks the language"},
		{"internal/kubeclient", "remediate", "kubeclient builds a client from config"},
		{"internal/hclcmd", "internal/secrets", "hclcmd links only the schema"},
		{"internal/e2e", "internal/testutil", ""}, // a test package: no rule
		{"internal/devserver", "internal/testutil", "test helpers never ship"},
	}
	covered := make(map[string]bool)
	for _, tt := range tests {
		t.Run(tt.from+" → "+tt.imp, func(t *testing.T) {
			vs := CheckImports(fakeMod, fakePackages(map[string][]string{tt.from: {tt.imp}}), importRules)
			if tt.rule == "" {
				assert.Empty(t, vs)
				return
			}
			require.Len(t, vs, 1)
			assert.Equal(t, tt.rule, vs[0].Rule)
			assert.Equal(t, tt.from, vs[0].Package)
			assert.Equal(t, tt.imp, vs[0].Import)
		})
		covered[tt.rule] = true
	}
	for _, r := range importRules {
		assert.True(t, covered[r.Name], "no case breaks rule %q", r.Name)
	}
}

func TestConfigViolationMessage(t *testing.T) {
	vs := CheckImports(fakeMod, fakePackages(map[string][]string{"internal/config": {"activities"}}), importRules)
	require.Len(t, vs, 1)
	assert.Equal(t, `internal/config imports activities: config imports nothing above it (rule "config is a leaf")`, vs[0].String())
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{"no name", Rule{From: []string{"x"}, Kind: AllowList, Reason: "r"}, "no name"},
		{"no reason", Rule{Name: "n", From: []string{"x"}, Kind: AllowList}, "no reason"},
		{"no packages", Rule{Name: "n", Kind: AllowList, Reason: "r"}, "governs no packages"},
		{"allow-list with deny", Rule{Name: "n", From: []string{"x"}, Kind: AllowList, Deny: []string{"y"}, Reason: "r"}, "allow-list with a Deny"},
		{"empty deny-list", Rule{Name: "n", From: []string{"x"}, Kind: DenyList, Reason: "r"}, "deny-list needs Deny"},
		{"no kind", Rule{Name: "n", From: []string{"x"}, Reason: "r"}, "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorContains(t, ValidateRules([]Rule{tt.rule}), tt.want)
		})
	}
	t.Run("duplicate name", func(t *testing.T) {
		r := Rule{Name: "n", From: []string{"x"}, Kind: AllowList, Reason: "r"}
		assert.ErrorContains(t, ValidateRules([]Rule{r, r}), "name used twice")
	})
}

func TestDecodePackages(t *testing.T) {
	const stream = `{"ImportPath": "fmt", "Standard": true}
{"ImportPath": "example.com/fb/a", "Imports": ["fmt"], "Deps": ["errors", "fmt"], "Error": {"Err": "broken"}}`
	pkgs, err := decodePackages(strings.NewReader(stream))
	require.NoError(t, err)
	require.Len(t, pkgs, 2)
	assert.True(t, pkgs["fmt"].Standard)
	assert.Equal(t, []string{"fmt"}, pkgs["example.com/fb/a"].Imports)
	assert.Equal(t, "broken", pkgs["example.com/fb/a"].Error.Err)

	_, err = decodePackages(strings.NewReader(`{"ImportPath": `))
	assert.ErrorContains(t, err, "decode go list output")
}

func TestForbiddenDepsAndChain(t *testing.T) {
	pkgs := map[string]*Package{
		"m/hclcmd":  {ImportPath: "m/hclcmd", Imports: []string{"m/config"}},
		"m/config":  {ImportPath: "m/config", Imports: []string{"m/acts", "fmt"}},
		"m/acts":    {ImportPath: "m/acts", Imports: []string{"m/remedy", "go.temporal.io/sdk/client"}},
		"m/remedy":  {ImportPath: "m/remedy", Imports: []string{"github.com/jackc/pgx/v5"}},
		"m/compile": {ImportPath: "m/compile", Imports: []string{"github.com/jackc/pgxpool"}},
	}
	hcl := &Package{ImportPath: "m/hclcmd", Deps: []string{
		"fmt", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn", "github.com/jackc/pgxpool",
		"go.temporal.io/sdk/client", "go.temporal.io/sdk/internal", "go.temporal.io/sdkx", "m/acts", "m/config", "m/remedy",
	}}
	got := ForbiddenDeps(hcl, []string{"github.com/jackc/pgx", "go.temporal.io/sdk", "k8s.io/client-go"})
	assert.Equal(t, map[string][]string{
		"github.com/jackc/pgx": {"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn"},
		"go.temporal.io/sdk":   {"go.temporal.io/sdk/client", "go.temporal.io/sdk/internal"},
	}, got)
	assert.Empty(t, ForbiddenDeps(&Package{Deps: []string{"fmt", "m/config"}}, []string{"go.temporal.io/sdk"}), "a clean package")

	chain := ImportChain(pkgs, "m/hclcmd", func(ip string) bool { return UnderPrefix(ip, "github.com/jackc/pgx") })
	assert.Equal(t, []string{"m/hclcmd", "m/config", "m/acts", "m/remedy", "github.com/jackc/pgx/v5"}, chain)
	assert.Nil(t, ImportChain(pkgs, "m/remedy", func(ip string) bool { return ip == "m/config" }))
	assert.Equal(t, "hclcmd → config → go.temporal.io/sdk/client", shortChain("m", []string{"m/hclcmd", "m/config", "go.temporal.io/sdk/client"}))
}

func TestFindModuleRoot(t *testing.T) {
	root, mod, err := FindModuleRoot(".")
	require.NoError(t, err)
	assert.Equal(t, "github.com/firebreak-dev/firebreak", mod)
	assert.FileExists(t, root+"/go.mod")

	_, _, err = FindModuleRoot("/")
	assert.ErrorContains(t, err, "no go.mod")
}
