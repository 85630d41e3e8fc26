package runbooks

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// errorComment marks the line a diagnostic must point at in invalid
// fixtures: # ERROR: <summary>, or # WARNING: <summary> for a warning.
var errorComment = regexp.MustCompile(`# (ERROR|WARNING): (.+)$`)

type wantDiag struct {
	line     int
	severity hcl.DiagnosticSeverity
	summary  string
}

func readFixture(t *testing.T, path string) ([]byte, []wantDiag) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wants []wantDiag
	for i, line := range strings.Split(string(src), "\n") {
		if m := errorComment.FindStringSubmatch(line); m != nil {
			sev := hcl.DiagError
			if m[1] == "WARNING" {
				sev = hcl.DiagWarning
			}
			wants = append(wants, wantDiag{line: i + 1, severity: sev, summary: strings.TrimSpace(m[2])})
		}
	}
	return src, wants
}

func TestParseValid(t *testing.T) {
	paths, err := filepath.Glob("testdata/valid/*.hcl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no valid fixtures: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, _ := readFixture(t, path)
			rb, diags := Parse(path, src)
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics: %s", diags.Error())
			}
			if rb == nil || rb.Name == "" || len(rb.Matchers) == 0 {
				t.Fatalf("incomplete runbook: %+v", rb)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	paths, err := filepath.Glob("testdata/invalid/*.hcl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no invalid fixtures: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, wants := readFixture(t, path)
			if !slices.ContainsFunc(wants, func(w wantDiag) bool { return w.severity == hcl.DiagError }) {
				t.Fatal("fixture has no # ERROR: comment")
			}
			rb, diags := Parse(path, src)
			if rb != nil {
				t.Errorf("Parse returned a runbook despite errors")
			}
			matched := make([]bool, len(diags))
			for _, w := range wants {
				found := false
				for i, d := range diags {
					if d.Severity == w.severity && d.Subject != nil && d.Subject.Start.Line == w.line &&
						d.Subject.Start.Column >= 1 && strings.Contains(d.Summary, w.summary) {
						found, matched[i] = true, true
					}
				}
				if !found {
					t.Errorf("want %s %q on line %d; got:\n%s", severityName(w.severity), w.summary, w.line, formatDiags(diags))
				}
			}
			// Warnings count too: a consequential one (consequential.go)
			// is as misleading as an error.
			for i, d := range diags {
				if !matched[i] {
					t.Errorf("unexpected %s: %s", severityName(d.Severity), formatDiags(hcl.Diagnostics{d}))
				}
				if d.Subject != nil && d.Subject.Filename != path {
					t.Errorf("diagnostic names file %q, want %q", d.Subject.Filename, path)
				}
			}
		})
	}
}

// TestSemanticDiagnosticsHaveContext holds us to the style rule: semantic
// errors point at the construct and name their enclosing block.
func TestSemanticDiagnosticsHaveContext(t *testing.T) {
	paths, _ := filepath.Glob("testdata/invalid/*.hcl")
	for _, path := range paths {
		src, _ := os.ReadFile(path)
		_, diags := Parse(path, src)
		for _, d := range diags {
			if d.Subject == nil {
				t.Errorf("%s: %q has no subject", path, d.Summary)
			}
			switch {
			case strings.HasPrefix(d.Summary, "Unsupported block type"), strings.HasPrefix(d.Summary, "Unsupported argument"),
				strings.HasPrefix(d.Summary, "Missing required argument"), strings.HasPrefix(filepath.Base(path), "syntax-"):
				// Reported by the HCL parser and decoder themselves.
			default:
				if d.Context == nil {
					t.Errorf("%s: %q has no context", path, d.Summary)
				}
			}
		}
	}
}

func TestDuplicateNamesEarlierPosition(t *testing.T) {
	path := "testdata/invalid/diagnose-duplicate.hcl"
	src, _ := os.ReadFile(path)
	_, diags := Parse(path, src)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, path+":3,") {
		t.Fatalf("want the earlier definition at line 3 in the detail, got %s", formatDiags(diags))
	}
}

func TestParsePoolExhaustion(t *testing.T) {
	path := "testdata/valid/pool-exhaustion.hcl"
	src, _ := os.ReadFile(path)
	rb, diags := Parse(path, src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if rb.Owner != "payments" || rb.Filename != path || len(rb.SHA256) != 64 || string(rb.Source) != string(src) {
		t.Errorf("metadata: %+v", rb)
	}
	if got := rb.Matchers.String(); got != `{alertname="DemoHighErrorRate",service=~"demo|api"}` {
		t.Errorf("matchers = %s", got)
	}
	if strings.Join(rb.GroupBy, ",") != "service,db" {
		t.Errorf("group_by = %v", rb.GroupBy)
	}
	if len(rb.Diagnoses) != 2 || rb.Diagnoses[0].Name != "waiting" || rb.Diagnoses[1].Name != "errors" {
		t.Fatalf("diagnoses = %+v", rb.Diagnoses)
	}
	if p := rb.Diagnoses[0].Prometheus; p.Range != 0 || p.Step != 0 {
		t.Errorf("instant query has range/step %v/%v", p.Range, p.Step)
	}
	if p := rb.Diagnoses[1].Prometheus; p.Range != 5*time.Minute || p.Step != 30*time.Second {
		t.Errorf("range query has range/step %v/%v", p.Range, p.Step)
	}
	if len(rb.Remediations) != 2 || rb.Remediations[0].Name != "grow_pool" {
		t.Fatalf("remediations = %+v", rb.Remediations)
	}
	m := rb.Remediations[0]
	if len(m.Actions) != 1 || m.Actions[0].Kind != KindPgBouncerPoolSize || m.Actions[0].DeclRange.Start.Line != 28 {
		t.Errorf("actions = %+v", m.Actions)
	}
	v := m.Verify
	if v == nil || v.Below == nil || *v.Below != 0.05 || v.Above != nil || v.For != 2*time.Minute || v.Within != 5*time.Minute || v.Every != 15*time.Second {
		t.Errorf("verify = %+v", v)
	}
	if rb.Remediations[1].Verify != nil {
		t.Errorf("unverified remediation has a verify")
	}
	if rb.Escalate.LogLevel != "warn" {
		t.Errorf("escalate = %+v", rb.Escalate)
	}
	want := Guardrails{Cooldown: 30 * time.Minute, Window: 2 * time.Hour, MaxActions: 2, DryRun: true, OnBusy: OnBusyWait}
	if rb.Guardrails != want {
		t.Errorf("guardrails = %+v, want %+v", rb.Guardrails, want)
	}
}

func TestParseDefaults(t *testing.T) {
	rb, diags := Parse("minimal.hcl", []byte(`runbook "m" { match = ["a=\"b\""] }`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if rb.Escalate.LogLevel != "error" {
		t.Errorf("default log level = %q", rb.Escalate.LogLevel)
	}
	if want := (Guardrails{Window: time.Hour, MaxActions: 3, OnBusy: OnBusyWait}); rb.Guardrails != want {
		t.Errorf("default guardrails = %+v", rb.Guardrails)
	}
	if rb.GroupBy != nil || rb.Diagnoses != nil || rb.Remediations != nil {
		t.Errorf("unexpected content: %+v", rb)
	}
}

func TestParseWarnings(t *testing.T) {
	src := `runbook "w" {
  match = ["a=\"b\""]
  remediate "r" {
    action "set" {
      pgbouncer_pool_size {
        admin_dsn = secret("x")
        database  = "d"
        set       = "500"
        max       = 400
      }
    }
  }
}`
	rb, diags := Parse("w.hcl", []byte(src))
	if rb == nil || len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || diags[0].Subject.Start.Line != 8 {
		t.Fatalf("want one warning on line 8, got %s", formatDiags(diags))
	}
}

func severityName(s hcl.DiagnosticSeverity) string {
	if s == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

func formatDiags(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		if d.Subject != nil {
			b.WriteString(d.Subject.String() + ": ")
		}
		b.WriteString(d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}
