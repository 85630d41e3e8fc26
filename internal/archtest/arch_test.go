package archtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The packages each tier may not reach, shared by several rows below.
var (
	// aboveTheEdges: the binary, the CLI and the composition root.
	aboveTheEdges = []string{"cmd/...", "internal/cli/...", "internal/engine/..."}
	// theEdges: the packages that take requests from outside (webhooks,
	// Slack, the CLI's control commands) and reach workflows via Temporal.
	theEdges = []string{"internal/intake/...", "internal/approvals/...", "internal/guard/...", "internal/operator/..."}
	// aboveTheSteps: everything a diagnose/remediate/escalate step sits
	// under. internal/config is here because workflows, which import the
	// steps, may not depend on it; hclcmd and devserver are CLI machinery.
	aboveTheSteps = concat(aboveTheEdges, theEdges, []string{
		"activities/...", "workflows/...", "internal/config/...", "internal/hclcmd/...", "internal/devserver/...",
	})
)

// importRules is firebreak's import direction, downstream order. Paths are
// relative to the module root; "x/..." is x and everything below it.
// AllowList rows say "only"; DenyList rows say "anything but". Only non-test
// imports are judged.
var importRules = []Rule{
	{
		Name: "cmd is a thin main", From: []string{"cmd/..."},
		Kind: AllowList, Allow: []string{"internal/cli"},
		Reason: "the binary only hands os.Args to internal/cli, where every command can be tested",
	},
	{
		Name: "cli is below cmd", From: []string{"internal/cli/..."},
		Kind: DenyList, Deny: []string{"cmd/..."},
		Reason: "the CLI may drive anything below it but never the binary that wraps it",
	},
	{
		Name: "engine is the composition root", From: []string{"internal/engine/..."},
		Kind: DenyList, Deny: []string{"cmd/...", "internal/cli/..."},
		Reason: "the engine assembles everything below it; the CLI drives the engine, never the reverse",
	},
	{
		Name: "edges talk to workflows through their contract", From: theEdges,
		Kind: DenyList, Deny: []string{"cmd/...", "internal/cli/...", "internal/engine/...", "activities/...", "diagnose/...", "remediate/...", "escalate/..."},
		Reason: "intake, approvals, guard and operator reach running workflows via Temporal and package workflows' names and types, never the worker's code",
	},
	{
		Name: "activities are the worker's, not the edges'", From: []string{"activities/..."},
		Kind: DenyList, Deny: concat(aboveTheEdges, theEdges),
		Reason: "activities register the steps inside the worker the engine builds; nothing they do depends on how requests arrive",
	},
	{
		Name: "workflows are replayable and config-free", From: []string{"workflows/..."},
		Kind: DenyList, Deny: concat(aboveTheEdges, theEdges, []string{"activities/...", "internal/config/..."}),
		Reason: "workflows are replayed from history: they may use the steps and shared types, never the worker's registration, the edges or the engine's configuration",
	},
	{
		Name: "diagnose is an independent step", From: []string{"diagnose/..."},
		Kind: DenyList, Deny: concat([]string{"remediate/...", "escalate/..."}, aboveTheSteps),
		Reason: "a step uses integrations and leaves only; workflows compose steps, steps do not compose each other",
	},
	{
		Name: "remediate is an independent step", From: []string{"remediate/..."},
		Kind: DenyList, Deny: concat([]string{"diagnose/...", "escalate/..."}, aboveTheSteps),
		Reason: "a step uses integrations and leaves only; workflows compose steps, steps do not compose each other",
	},
	{
		Name: "escalate is an independent step", From: []string{"escalate/..."},
		Kind: DenyList, Deny: concat([]string{"diagnose/...", "remediate/..."}, aboveTheSteps),
		Reason: "a step uses integrations and leaves only; workflows compose steps, steps do not compose each other",
	},
	{
		Name: "integrations are leaves", From: []string{"integrations/..."},
		Kind: AllowList, OwnSubpackages: true,
		Reason: "an integration is a client of one outside system and knows nothing of firebreak (its own subpackages aside)",
	},
	{
		Name: "runbooks is a leaf", From: []string{"runbooks/..."},
		Kind:   AllowList,
		Reason: "runbooks is the HCL schema every layer reads, so it can depend on none of them",
	},
	{
		Name: "config is a leaf", From: []string{"internal/config/..."},
		Kind: AllowList, Allow: []string{"internal/secrets", "runbooks"},
		Reason: "config imports nothing above it",
	},
	{
		Name:   "shared types are leaves",
		From:   []string{"internal/metrics/...", "internal/secrets/...", "internal/bearer/...", "internal/logging/..."},
		Kind:   AllowList,
		Reason: "every layer imports these, so any firebreak import from them is a cycle waiting to happen",
	},
	{
		Name: "the record speaks the language", From: []string{"internal/incident/..."},
		Kind: AllowList, Allow: []string{"runbooks"},
		Reason: "the incident record is built from runbook types (one Alert type) and must depend on nothing else of firebreak's",
	},
	{
		Name: "kubeclient builds a client from config", From: []string{"internal/kubeclient/..."},
		Kind: AllowList, Allow: []string{"internal/config"},
		Reason: "the Kubernetes client is built at the command layer from the configuration, and knows nothing else",
	},
	{
		Name: "hclcmd links only the schema", From: []string{"internal/hclcmd/..."},
		Kind: AllowList, Allow: []string{"runbooks", "internal/config"},
		Reason: "validate and fmt read files; they must not link the engine, the worker or its clients",
	},
	{
		Name: "test helpers never ship", From: []string{"..."},
		Except: []string{"internal/testutil/...", "internal/devserver/devservertest/...", "internal/e2e/...", "examples/..."},
		Kind:   DenyList, Deny: []string{"internal/testutil/...", "internal/e2e/..."},
		Reason: "test helpers fake the outside world and must never be linked into production code (examples may use them)",
	},
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// The module under test, loaded once with a single `go list` for every
// test of the package.
var (
	moduleOnce sync.Once
	moduleRoot string
	modulePath string
	modulePkgs map[string]*Package
	moduleErr  error
)

func loadModule(t *testing.T) (root, path string, pkgs map[string]*Package) {
	t.Helper()
	moduleOnce.Do(func() {
		wd, err := os.Getwd()
		if err != nil {
			moduleErr = fmt.Errorf("load module: %w", err)
			return
		}
		moduleRoot, modulePath, moduleErr = FindModuleRoot(wd)
		if moduleErr != nil {
			return
		}
		modulePkgs, moduleErr = LoadPackages(moduleRoot)
	})
	if moduleErr != nil {
		t.Fatal(moduleErr)
	}
	return moduleRoot, modulePath, modulePkgs
}

func TestImportDirection(t *testing.T) {
	if err := ValidateRules(importRules); err != nil {
		t.Fatalf("the rule table is malformed:\n%v", err)
	}
	_, mod, pkgs := loadModule(t)
	// A check of nothing passes; make sure the module's layers were seen.
	for _, rel := range []string{"workflows", "internal/config", "internal/engine"} {
		if _, ok := pkgs[mod+"/"+rel]; !ok {
			t.Fatalf("go list did not report %s/%s; is the test running inside the module?", mod, rel)
		}
	}
	for _, p := range pkgs {
		if _, ok := moduleRel(mod, p.ImportPath); ok && p.Error != nil {
			t.Logf("go list: %s: %s (its imports are judged anyway)", p.ImportPath, p.Error.Err)
		}
	}
	vs := CheckImports(mod, pkgs, importRules)
	for _, v := range vs {
		t.Error(v)
	}
	if len(vs) > 0 {
		t.Logf("%d import(s) run upstream; the table is importRules in %s", len(vs), "internal/archtest/arch_test.go")
	}
}

func TestContractDeclaredOnce(t *testing.T) {
	root, _, _ := loadModule(t)
	wfDir := filepath.Join(root, "workflows")
	c, err := LoadContract(wfDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) == 0 {
		t.Fatalf("no contract constants (names matching %s) in %s", ContractName, wfDir)
	}
	findings, err := CheckContract(root, wfDir, c)
	if err != nil {
		t.Error(err)
	}
	for _, f := range findings {
		t.Error(f)
	}
	if len(findings) > 0 {
		t.Logf("%d re-declaration(s) or literal(s) of the contract of package workflows (%d contract strings)", len(findings), len(c))
	}
}

// forbiddenForValidate are the clients `firebreak validate` and `fmt` never
// use: linking them makes the commands slow to build and start, and means
// a change to any of them can break them.
var forbiddenForValidate = []string{
	"github.com/jackc/pgx",
	"k8s.io/client-go",
	"github.com/slack-go/slack",
	"github.com/PagerDuty/go-pagerduty",
	"go.temporal.io/sdk",
}

func TestValidateLinksNoClients(t *testing.T) {
	_, mod, pkgs := loadModule(t)
	for _, rel := range []string{"internal/hclcmd", "internal/config"} {
		t.Run(rel, func(t *testing.T) {
			p, ok := pkgs[mod+"/"+rel]
			if !ok {
				t.Fatalf("go list did not report %s/%s", mod, rel)
			}
			got := ForbiddenDeps(p, forbiddenForValidate)
			for _, pre := range forbiddenForValidate {
				deps := got[pre]
				if len(deps) == 0 {
					continue
				}
				chain := ImportChain(pkgs, p.ImportPath, func(ip string) bool { return UnderPrefix(ip, pre) })
				t.Errorf("%s links %d package(s) of %s, e.g. via %s", rel, len(deps), pre, shortChain(mod, chain))
			}
			if len(got) > 0 {
				counts := make([]string, 0, len(got))
				for pre, deps := range got {
					counts = append(counts, fmt.Sprintf("%s: %d", pre, len(deps)))
				}
				sort.Strings(counts)
				t.Logf("forbidden dependencies of %s per module prefix: %s", rel, strings.Join(counts, ", "))
			}
		})
	}
}

// shortChain renders an import chain with the module's own packages
// relative to its root.
func shortChain(mod string, chain []string) string {
	out := make([]string, len(chain))
	for i, ip := range chain {
		if rel, ok := moduleRel(mod, ip); ok {
			ip = rel
		}
		out[i] = ip
	}
	return strings.Join(out, " → ")
}
