package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
)

// Package is the part of one `go list -json` record the checks read.
type Package struct {
	ImportPath string
	Dir        string
	Standard   bool
	Imports    []string // non-test imports only: what production rules judge
	Deps       []string // transitive non-test dependencies
	Error      *struct{ Err string }
}

// LoadPackages runs `go list -e -deps -json ./...` in root once and returns
// every package it reports, the module's own and all their dependencies,
// keyed by import path. -e keeps a package with a compile error in the list
// (its imports are still known), so a broken file elsewhere in the tree does
// not hide the architecture.
func LoadPackages(root string) (map[string]*Package, error) {
	cmd := exec.Command("go", "list", "-e", "-deps",
		"-json=ImportPath,Dir,Standard,Imports,Deps,Error", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return decodePackages(bytes.NewReader(out))
}

func decodePackages(r io.Reader) (map[string]*Package, error) {
	pkgs := make(map[string]*Package)
	dec := json.NewDecoder(r)
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		pkgs[p.ImportPath] = &p
	}
}

// RuleKind says how a rule reads its lists.
type RuleKind int

const (
	// AllowList: the governed packages may import, of the module's own
	// packages, only those matching Allow. An empty Allow means "nothing of
	// the module's".
	AllowList RuleKind = iota + 1
	// DenyList: the governed packages must not import any module package
	// matching Deny; everything else is allowed.
	DenyList
)

// Rule is one row of an import-direction table. Every path in it is
// relative to the module root, and each may end in "/..." to mean the
// package and every package below it; "..." alone means every package.
type Rule struct {
	Name   string   // short, quoted in every violation
	From   []string // the packages the rule governs
	Except []string // packages matched by From that the rule does not govern
	Kind   RuleKind
	Allow  []string // AllowList only
	Deny   []string // DenyList only
	// OwnSubpackages lets a governed package import the packages below it
	// (integrations/slack may import integrations/slack/blocks).
	OwnSubpackages bool
	Reason         string // one line: why the rule exists
}

// Violation is one forbidden import: Package imports Import against Rule.
type Violation struct {
	Package string // module-relative
	Import  string // module-relative
	Rule    string
	Reason  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s imports %s: %s (rule %q)", v.Package, v.Import, v.Reason, v.Rule)
}

// Match reports whether the module-relative package path rel matches
// pattern: "x" matches only x, "x/..." matches x and everything below it,
// "..." matches everything.
func Match(pattern, rel string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return rel == base || strings.HasPrefix(rel, base+"/")
	}
	return rel == pattern
}

func matchAny(patterns []string, rel string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return Match(p, rel) })
}

// ValidateRules reports rows that cannot mean what they say: a missing name
// or reason, an unknown kind, or a list that the kind does not read.
func ValidateRules(rules []Rule) error {
	var errs []error
	seen := make(map[string]bool)
	for i, r := range rules {
		switch {
		case r.Name == "":
			errs = append(errs, fmt.Errorf("rule %d: no name", i))
		case seen[r.Name]:
			errs = append(errs, fmt.Errorf("rule %q: name used twice", r.Name))
		case r.Reason == "":
			errs = append(errs, fmt.Errorf("rule %q: no reason", r.Name))
		case len(r.From) == 0:
			errs = append(errs, fmt.Errorf("rule %q: governs no packages", r.Name))
		case r.Kind == AllowList && len(r.Deny) > 0:
			errs = append(errs, fmt.Errorf("rule %q: an allow-list with a Deny list", r.Name))
		case r.Kind == DenyList && (len(r.Allow) > 0 || len(r.Deny) == 0):
			errs = append(errs, fmt.Errorf("rule %q: a deny-list needs Deny and no Allow", r.Name))
		case r.Kind != AllowList && r.Kind != DenyList:
			errs = append(errs, fmt.Errorf("rule %q: unknown kind %d", r.Name, r.Kind))
		}
		seen[r.Name] = true
	}
	return errors.Join(errs...)
}

// CheckImports judges the direct non-test imports of every package of
// module modulePath in pkgs against rules and returns every violation,
// sorted by package then import. Packages outside the module, and imports
// outside it, are ignored: the rules are about firebreak's own layering.
func CheckImports(modulePath string, pkgs map[string]*Package, rules []Rule) []Violation {
	var out []Violation
	for _, p := range pkgs {
		rel, ok := moduleRel(modulePath, p.ImportPath)
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			irel, ok := moduleRel(modulePath, imp)
			if !ok {
				continue
			}
			for _, r := range rules {
				if !matchAny(r.From, rel) || matchAny(r.Except, rel) {
					continue
				}
				if !allowed(r, rel, irel) {
					out = append(out, Violation{Package: rel, Import: irel, Rule: r.Name, Reason: r.Reason})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Import != b.Import {
			return a.Import < b.Import
		}
		return a.Rule < b.Rule
	})
	return out
}

func allowed(r Rule, from, imp string) bool {
	if r.OwnSubpackages && strings.HasPrefix(imp, from+"/") {
		return true
	}
	switch r.Kind {
	case AllowList:
		return matchAny(r.Allow, imp)
	case DenyList:
		return !matchAny(r.Deny, imp)
	}
	return false
}

// moduleRel returns importPath relative to the module ("." for the module's
// root package) and whether it is in the module at all.
func moduleRel(modulePath, importPath string) (string, bool) {
	if importPath == modulePath {
		return ".", true
	}
	rel, ok := strings.CutPrefix(importPath, modulePath+"/")
	return rel, ok
}

// ForbiddenDeps returns, for each prefix, the packages among pkg's
// transitive non-test dependencies whose import path is prefix or below it.
// A prefix with no such dependency is absent from the result.
func ForbiddenDeps(pkg *Package, prefixes []string) map[string][]string {
	out := make(map[string][]string)
	for _, d := range pkg.Deps {
		for _, pre := range prefixes {
			if UnderPrefix(d, pre) {
				out[pre] = append(out[pre], d)
			}
		}
	}
	return out
}

// ImportChain returns a shortest chain of non-test imports from the package
// from to any package for which to reports true, both ends included, or nil
// if there is none. It answers "which import drags this in?", the first
// question a failure raises.
func ImportChain(pkgs map[string]*Package, from string, to func(importPath string) bool) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if to(cur) {
			var chain []string
			for n := cur; n != ""; n = prev[n] {
				chain = append(chain, n)
			}
			slices.Reverse(chain)
			return chain
		}
		p, ok := pkgs[cur]
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// UnderPrefix reports whether importPath is the module or package prefix or
// below it: github.com/jackc/pgx covers github.com/jackc/pgx/v5/pgconn but
// not github.com/jackc/pgxpool.
func UnderPrefix(importPath, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return importPath == prefix || strings.HasPrefix(importPath, prefix+"/")
}
