package archtest

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ContractName matches the names of the constants that make up a
// workflow's durable contract: its registered type name, its workflow ID
// scheme, and the names of its signals, queries and updates.
var ContractName = regexp.MustCompile(`^(\w*WorkflowName|\w*WorkflowID\w*|Signal\w*|signal\w*|Query\w*|query\w*|Update\w*|update\w*|\w*IDPrefix)$`)

// contractLike matches the names, outside package workflows, under which a
// copy of the contract is recognisable whatever package it is in:
// ControlSignalAcquire, TargetWorkflowName, incidentQueryState.
var contractLike = regexp.MustCompile(`(?i)(workflow|signal|query|update|idprefix)`)

// Contract maps each contract string to the names of the constants that
// declare it in the contract package (two signals of two workflows may
// share a spelling, so one value can have several names).
type Contract map[string][]string

// Finding is one place where the contract is re-declared or spelled out.
type Finding struct {
	File      string // relative to the walked root, slash-separated
	Line, Col int
	What      string
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d:%d: %s", f.File, f.Line, f.Col, f.What) }

// LoadContract parses the non-test Go files directly in dir (the workflows
// package) and collects the string constants whose names match
// ContractName. Constants defined from other constants of the package, or
// by concatenation, are resolved.
func LoadContract(dir string) (Contract, error) {
	files, err := parseDir(token.NewFileSet(), dir)
	if err != nil {
		return nil, fmt.Errorf("load contract: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load contract: no Go files in %s", dir)
	}
	env := packageConsts(files)
	c := make(Contract)
	for name, val := range env {
		if ContractName.MatchString(name) {
			c[val] = append(c[val], name)
		}
	}
	for _, names := range c {
		sort.Strings(names)
	}
	return c, nil
}

// nameArg is one name-carrying argument of a Temporal API call.
type nameArg struct {
	index int    // 0-based, ctx first
	kind  string // "workflow", "signal", "query" or "update"
}

// nameArgs lists, by method or function name, the arguments of the
// Temporal client and workflow APIs that carry a workflow, signal, query or
// update name. Positions are those of go.temporal.io/sdk: for example
// client.SignalWorkflow(ctx, workflowID, runID, signalName, arg).
var nameArgs = map[string][]nameArg{
	"SignalWorkflow":              {{3, "signal"}},
	"SignalExternalWorkflow":      {{3, "signal"}},
	"SignalWithStartWorkflow":     {{2, "signal"}, {5, "workflow"}},
	"QueryWorkflow":               {{3, "query"}},
	"ExecuteWorkflow":             {{2, "workflow"}},
	"ExecuteChildWorkflow":        {{1, "workflow"}},
	"NewContinueAsNewError":       {{1, "workflow"}},
	"GetSignalChannel":            {{1, "signal"}},
	"SetQueryHandler":             {{1, "query"}},
	"SetQueryHandlerWithOptions":  {{1, "query"}},
	"SetUpdateHandler":            {{1, "update"}},
	"SetUpdateHandlerWithOptions": {{1, "update"}},
}

// CheckContract walks the Go source under root and reports, outside the
// contract package's directory contractDir (an absolute path):
//
//   - (a) a const or var declaration whose string value equals a
//     contract string: a second declaration of the contract, which drifts
//     from the first the day one of them is renamed. A value is only a
//     copy of the contract where it can be used as one, so (a) judges a
//     declaration whose name looks like a contract name (see contractLike)
//     in any package, and any declaration in a package that imports the
//     Temporal SDK; runbooks' HCL variable name "alert" is not the signal
//     "alert";
//   - (b) a string literal passed as the workflow, signal, query or update
//     name of a Temporal API call (see nameArgs), or as the UpdateName of
//     an UpdateWorkflowOptions or the Name of a workflow.RegisterOptions.
//
// Test files, directories named testdata or vendor, hidden directories and
// nested modules are skipped. A file that does not parse is reported in the
// returned error; the walk goes on.
func CheckContract(root, contractDir string, c Contract) ([]Finding, error) {
	var findings []Finding
	var errs []error
	dirs, err := sourceDirs(root)
	if err != nil {
		return nil, fmt.Errorf("check contract: %w", err)
	}
	for _, dir := range dirs {
		if dir == filepath.Clean(contractDir) {
			continue
		}
		fset := token.NewFileSet()
		files, err := parseDir(fset, dir)
		if err != nil {
			errs = append(errs, err)
		}
		env := packageConsts(files)
		temporal := importsTemporal(files)
		for _, f := range files {
			findings = append(findings, checkFile(fset, root, f, env, temporal, c)...)
		}
	}
	sort.Slice(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if err := errors.Join(errs...); err != nil {
		return findings, fmt.Errorf("check contract: %w", err)
	}
	return findings, nil
}

// sourceDirs lists root and every directory below it that the go tool
// would treat as part of root's module.
func sourceDirs(root string) ([]string, error) {
	root = filepath.Clean(root)
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root {
			name := d.Name()
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module
			}
		}
		dirs = append(dirs, path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	return dirs, nil
}

// parseDir parses the non-test .go files directly in dir. Files that fail
// to parse are left out and named in the error.
func parseDir(fset *token.FileSet, dir string) ([]*ast.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", dir, err)
	}
	var files []*ast.File
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			errs = append(errs, fmt.Errorf("parse: %w", err))
			continue
		}
		files = append(files, f)
	}
	return files, errors.Join(errs...)
}

// packageConsts returns the package-level string constants of files whose
// value can be computed from literals, concatenation and each other.
func packageConsts(files []*ast.File) map[string]string {
	type pending struct {
		name string
		expr ast.Expr
	}
	var todo []pending
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			forEachValue(gd, func(name *ast.Ident, expr ast.Expr) {
				todo = append(todo, pending{name.Name, expr})
			})
		}
	}
	env := make(map[string]string)
	for progress := true; progress; {
		progress = false
		rest := todo[:0]
		for _, p := range todo {
			if v, ok := stringValue(p.expr, env); ok {
				env[p.name] = v
				progress = true
			} else {
				rest = append(rest, p)
			}
		}
		todo = rest
	}
	return env
}

// forEachValue calls fn for each name of a const or var declaration that
// has a value expression of its own; in a const group, a spec without
// values repeats the previous spec's (as iota does).
func forEachValue(gd *ast.GenDecl, fn func(name *ast.Ident, expr ast.Expr)) {
	var last []ast.Expr
	for _, spec := range gd.Specs {
		vs, ok := spec.(*ast.ValueSpec)
		if !ok {
			continue
		}
		values := vs.Values
		if len(values) == 0 && gd.Tok == token.CONST {
			values = last
		}
		last = values
		if len(values) != len(vs.Names) {
			continue // no value, or a multi-valued call
		}
		for i, n := range vs.Names {
			if n.Name != "_" {
				fn(n, values[i])
			}
		}
	}
}

// stringValue evaluates a constant string expression made of literals,
// parentheses, + and identifiers bound in env.
func stringValue(e ast.Expr, env map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return stringValue(e.X, env)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		x, ok := stringValue(e.X, env)
		if !ok {
			return "", false
		}
		y, ok := stringValue(e.Y, env)
		return x + y, ok
	case *ast.Ident:
		v, ok := env[e.Name]
		return v, ok
	case *ast.CallExpr:
		// A conversion such as SignalName("alert") keeps the value.
		if len(e.Args) == 1 {
			if _, isIdent := e.Fun.(*ast.Ident); isIdent {
				return stringValue(e.Args[0], env)
			}
		}
	}
	return "", false
}

// importsTemporal reports whether any of a package's files imports the
// Temporal Go SDK.
func importsTemporal(files []*ast.File) bool {
	for _, f := range files {
		for _, imp := range f.Imports {
			if p, err := strconv.Unquote(imp.Path.Value); err == nil && UnderPrefix(p, "go.temporal.io/sdk") {
				return true
			}
		}
	}
	return false
}

func checkFile(fset *token.FileSet, root string, f *ast.File, env map[string]string, temporal bool, c Contract) []Finding {
	var out []Finding
	at := func(p token.Pos, what string) Finding {
		position := fset.Position(p)
		file := position.Filename
		if rel, err := filepath.Rel(root, file); err == nil {
			file = rel
		}
		return Finding{File: filepath.ToSlash(file), Line: position.Line, Col: position.Column, What: what}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			if n.Tok != token.CONST && n.Tok != token.VAR {
				return true
			}
			forEachValue(n, func(name *ast.Ident, expr ast.Expr) {
				if !temporal && !contractLike.MatchString(name.Name) {
					return
				}
				v, ok := stringValue(expr, env)
				if !ok {
					return
				}
				if names, dup := c[v]; dup {
					out = append(out, at(name.Pos(), fmt.Sprintf(
						"%s %s = %q re-declares workflows.%s: a workflow's durable contract is declared once, beside it (rule (a) \"contract declared once\")",
						n.Tok, name.Name, v, strings.Join(names, ", workflows."))))
				}
			})
		case *ast.CallExpr:
			for _, a := range nameArgs[calleeName(n.Fun)] {
				if a.index < len(n.Args) {
					if lit, ok := stringLit(n.Args[a.index]); ok {
						out = append(out, at(lit.Pos(), literalMessage(lit, a.kind, calleeName(n.Fun)+" argument", c)))
					}
				}
			}
		case *ast.CompositeLit:
			var field, kind string
			switch typeName(n.Type) {
			case "UpdateWorkflowOptions":
				field, kind = "UpdateName", "update"
			case "workflow.RegisterOptions":
				field, kind = "Name", "workflow"
			default:
				return true
			}
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				if key, ok := kv.Key.(*ast.Ident); ok && key.Name == field {
					if lit, ok := stringLit(kv.Value); ok {
						out = append(out, at(lit.Pos(), literalMessage(lit, kind, typeName(n.Type)+"."+field, c)))
					}
				}
			}
		}
		return true
	})
	return out
}

func literalMessage(lit *ast.BasicLit, kind, where string, c Contract) string {
	use := "declare it in package workflows, beside the workflow, and use that constant"
	if v, err := strconv.Unquote(lit.Value); err == nil && len(c[v]) > 0 {
		names := c[v]
		use = "use workflows." + strings.Join(names, " or workflows.")
		if !slices.ContainsFunc(names, ast.IsExported) {
			use = "it is workflows." + strings.Join(names, " or workflows.") + ", unexported: go through package workflows' API for it"
		}
	}
	return fmt.Sprintf("%s name %s spelled as a literal in %s: %s (rule (b) \"no literal contract names\")", kind, lit.Value, where, use)
}

// stringLit returns e when it is a string literal, looking through
// parentheses.
func stringLit(e ast.Expr) (*ast.BasicLit, bool) {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	lit, ok := e.(*ast.BasicLit)
	return lit, ok && lit.Kind == token.STRING
}

// calleeName is the method or function name of a call: SignalWorkflow for
// c.SignalWorkflow(...) and for SignalWorkflow(...).
func calleeName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.SelectorExpr:
		return f.Sel.Name
	case *ast.Ident:
		return f.Name
	case *ast.IndexExpr: // a generic instantiation
		return calleeName(f.X)
	case *ast.IndexListExpr:
		return calleeName(f.X)
	}
	return ""
}

// typeName renders a composite literal's type the way the rules name it:
// the bare type name for UpdateWorkflowOptions of any package, and
// "pkg.Name" for a qualified type.
func typeName(t ast.Expr) string {
	switch t := t.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		if t.Sel.Name == "UpdateWorkflowOptions" {
			return t.Sel.Name
		}
		if x, ok := t.X.(*ast.Ident); ok {
			return x.Name + "." + t.Sel.Name
		}
	}
	return ""
}
