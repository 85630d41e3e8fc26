package runbooks

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/alertmanager/pkg/labels"
)

// ConfigFileName is the engine configuration's file name; LoadPaths skips
// it so that runbooks and firebreak.hcl can share a directory.
const ConfigFileName = "firebreak.hcl"

// Set is every loaded runbook in load order (sorted file paths). Order
// matters: an alert goes to the first runbook that matches it.
type Set struct {
	Runbooks []*Runbook // in load order
}

// LoadPaths loads runbooks from files and directories (recursively, *.hcl
// only, skipping firebreak.hcl). It returns the set, the parsed files by
// name for printing diagnostics with source snippets, and diagnostics:
// errors for invalid files and for a runbook name defined twice, warnings
// for runbooks whose matchers can select the same alert. The set holds the
// valid runbooks even when other files had errors.
func LoadPaths(paths ...string) (*Set, map[string]*hcl.File, hcl.Diagnostics) {
	files, diags := collectFiles(paths)
	set := &Set{}
	parsed := make(map[string]*hcl.File, len(files))
	seen := map[string]*Runbook{}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read runbook",
				Detail:   fmt.Sprintf("read %s: %s.", name, err),
			})
			continue
		}
		rb, file, fileDiags := parseFile(name, src)
		if file != nil {
			parsed[name] = file
		}
		diags = append(diags, fileDiags...)
		if rb == nil {
			continue
		}
		if prev, dup := seen[rb.Name]; dup {
			diags = append(diags, newDiag("Duplicate runbook name",
				fmt.Sprintf("A runbook named %q is already defined at %s; runbook names identify incidents and must be unique.", rb.Name, prev.DeclRange),
				rb.DeclRange, rb.DeclRange))
			continue
		}
		seen[rb.Name] = rb
		set.Runbooks = append(set.Runbooks, rb)
	}
	diags = append(diags, set.overlaps()...)
	return set, parsed, diags
}

// collectFiles expands paths into a sorted, de-duplicated list of runbook
// files.
func collectFiles(paths []string) ([]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	var files []string
	add := func(p string) {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot load runbooks", Detail: fmt.Sprintf("stat %s: %s.", root, err)})
			continue
		}
		if !info.IsDir() {
			if filepath.Base(root) != ConfigFileName {
				add(root)
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !IsRunbookFile(p) {
				return nil
			}
			add(p)
			return nil
		})
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot load runbooks", Detail: fmt.Sprintf("walk %s: %s.", root, err)})
		}
	}
	sort.Strings(files)
	return files, diags
}

// IsRunbookFile reports whether a file found in a runbook directory is a
// runbook: *.hcl except the engine configuration.
func IsRunbookFile(path string) bool {
	base := filepath.Base(path)
	return strings.HasSuffix(base, ".hcl") && base != ConfigFileName
}

// Match returns the first runbook in load order whose matchers accept the
// alert's labels, or nil when none does.
func (s *Set) Match(ls map[string]string) *Runbook {
	for _, rb := range s.Runbooks {
		if rb.Matches(ls) {
			return rb
		}
	}
	return nil
}

// Get returns the runbook with the given name, or nil.
func (s *Set) Get(name string) *Runbook {
	for _, rb := range s.Runbooks {
		if rb.Name == name {
			return rb
		}
	}
	return nil
}

// overlaps warns about every pair of runbooks that may select the same
// alert: the later one in load order never sees those alerts.
func (s *Set) overlaps() hcl.Diagnostics {
	var diags hcl.Diagnostics
	eq := make([]map[string]string, len(s.Runbooks))
	for i, rb := range s.Runbooks {
		eq[i] = equalities(rb.Matchers)
	}
	for j, later := range s.Runbooks {
		for i, earlier := range s.Runbooks[:j] {
			if disjoint(eq[i], later.Matchers) || disjoint(eq[j], earlier.Matchers) {
				continue
			}
			diags = append(diags, newWarning("Overlapping runbooks",
				fmt.Sprintf("Alerts matching both %q and %q go to %q, defined at %s, which loads first; make the matchers disjoint if that is not intended.", earlier.Name, later.Name, earlier.Name, earlier.DeclRange),
				later.MatchRange, later.MatchRange))
		}
	}
	return diags
}

// equalities maps each label a matcher set pins with "=" to its value.
func equalities(ms labels.Matchers) map[string]string {
	eq := map[string]string{}
	for _, m := range ms {
		if m.Type == labels.MatchEqual {
			eq[m.Name] = m.Value
		}
	}
	return eq
}

// disjoint reports whether no alert can satisfy both a runbook that pins the
// labels in eq and the matchers ms: some pinned value is rejected by a
// matcher on the same label. Regular expressions are not compared with each
// other, so two regex matchers are assumed to overlap.
func disjoint(eq map[string]string, ms labels.Matchers) bool {
	for _, m := range ms {
		if v, ok := eq[m.Name]; ok && !m.Matches(v) {
			return true
		}
	}
	return false
}
