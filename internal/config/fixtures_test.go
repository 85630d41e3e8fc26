package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// errorComment marks the line, and the column, a diagnostic must point at
// in testdata/invalid fixtures: `# ERROR col 16: Invalid qps`.
var errorComment = regexp.MustCompile(`# ERROR col (\d+): (.+)$`)

// TestParseInvalidFixtures holds every error to its position: each fixture
// names the file:line:col and summary of the one error it must produce.
func TestParseInvalidFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.hcl"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no invalid fixtures: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for i, line := range strings.Split(string(src), "\n") {
				if m := errorComment.FindStringSubmatch(line); m != nil {
					col, _ := strconv.Atoi(m[1])
					want = append(want, fmt.Sprintf("%s:%d:%d: %s", path, i+1, col, strings.TrimSpace(m[2])))
				}
			}
			if len(want) == 0 {
				t.Fatal("fixture has no # ERROR col N: comment")
			}
			cfg, diags := Parse(path, src)
			if cfg != nil {
				t.Error("Parse returned a config despite errors")
			}
			var got []string
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				if d.Subject == nil {
					t.Errorf("%q has no position", d.Summary)
					continue
				}
				if d.Context == nil && !strings.HasPrefix(d.Summary, "Unsupported") && !strings.HasPrefix(d.Summary, "Duplicate") &&
					!strings.HasPrefix(d.Summary, "Unsuitable") {
					t.Errorf("%q names no enclosing block (Context)", d.Summary)
				}
				got = append(got, fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got errors:\n%s\nwant:\n%s\n(details: %s)", strings.Join(got, "\n"), strings.Join(want, "\n"), diags.Error())
			}
		})
	}
}
