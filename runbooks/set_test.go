package runbooks

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runbookSrc(name string, matchers ...string) string {
	quoted := make([]string, len(matchers))
	for i, m := range matchers {
		quoted[i] = fmt.Sprintf("%q", m)
	}
	return fmt.Sprintf("runbook %q {\n  match = [%s]\n}\n", name, strings.Join(quoted, ", "))
}

func TestLoadPathsOrderAndMatch(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"b/specific.hcl": runbookSrc("specific", `alertname="HighErrors"`, `service="api"`),
		"a/generic.hcl":  runbookSrc("generic", `alertname="HighErrors"`),
		"c/other.hcl":    runbookSrc("other", `alertname="Other"`),
		"firebreak.hcl":  `server { listen = "127.0.0.1:9095" }`,
		"notes.txt":      "not a runbook",
	})
	set, files, diags := LoadPaths(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var names []string
	for _, rb := range set.Runbooks {
		names = append(names, rb.Name)
	}
	if got := strings.Join(names, ","); got != "generic,specific,other" {
		t.Fatalf("load order = %s", got)
	}
	if len(files) != 3 {
		t.Errorf("files = %d, want 3", len(files))
	}
	// generic loads first (a/ < b/), so it wins the overlap, and the
	// overlap is reported on the later runbook.
	if rb := set.Match(map[string]string{"alertname": "HighErrors", "service": "api"}); rb == nil || rb.Name != "generic" {
		t.Errorf("Match = %v, want generic", rb)
	}
	if rb := set.Match(map[string]string{"alertname": "Other"}); rb == nil || rb.Name != "other" {
		t.Errorf("Match = %v, want other", rb)
	}
	if rb := set.Match(map[string]string{"alertname": "Nothing"}); rb != nil {
		t.Errorf("Match = %s, want nil", rb.Name)
	}
	if set.Get("specific") == nil || set.Get("nope") != nil {
		t.Errorf("Get")
	}
	if len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || diags[0].Summary != "Overlapping runbooks" ||
		!strings.HasSuffix(diags[0].Subject.Filename, "specific.hcl") || !strings.Contains(diags[0].Detail, "generic.hcl:1,") {
		t.Errorf("want one overlap warning on specific.hcl naming generic.hcl, got %s", formatDiags(diags))
	}
}

func TestLoadPathsExplicitFilesSorted(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"z.hcl": runbookSrc("z", `alertname="Z"`),
		"a.hcl": runbookSrc("a", `alertname="A"`),
	})
	set, _, diags := LoadPaths(filepath.Join(dir, "z.hcl"), dir, filepath.Join(dir, "a.hcl"))
	if len(diags) != 0 || len(set.Runbooks) != 2 || set.Runbooks[0].Name != "a" {
		t.Fatalf("set = %+v, diags = %v", set.Runbooks, diags)
	}
}

func TestLoadPathsDuplicateNames(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.hcl": runbookSrc("same", `alertname="A"`),
		"b.hcl": runbookSrc("same", `alertname="B"`),
		"c.hcl": "runbook \"broken\" {\n}\n",
	})
	set, _, diags := LoadPaths(dir)
	if len(set.Runbooks) != 1 || set.Runbooks[0].Filename != filepath.Join(dir, "a.hcl") {
		t.Errorf("set = %+v", set.Runbooks)
	}
	var dup, broken bool
	for _, d := range diags {
		switch {
		case d.Summary == "Duplicate runbook name":
			dup = strings.HasSuffix(d.Subject.Filename, "b.hcl") && strings.Contains(d.Detail, filepath.Join(dir, "a.hcl")+":1,")
		case d.Summary == "Missing required argument":
			broken = strings.HasSuffix(d.Subject.Filename, "c.hcl")
		}
	}
	if !dup || !broken {
		t.Errorf("want duplicate name and missing match errors, got %s", formatDiags(diags))
	}
}

func TestLoadPathsMissing(t *testing.T) {
	_, _, diags := LoadPaths(filepath.Join(t.TempDir(), "nope"))
	if !diags.HasErrors() {
		t.Fatal("want an error for a missing path")
	}
}

func TestOverlap(t *testing.T) {
	tests := []struct {
		a, b    []string
		overlap bool
	}{
		{[]string{`alertname="A"`}, []string{`alertname="B"`}, false},
		{[]string{`alertname="A"`}, []string{`alertname="A"`}, true},
		{[]string{`alertname="A"`}, []string{`alertname="A"`, `service="x"`}, true},
		{[]string{`alertname="A"`, `service="y"`}, []string{`alertname="A"`, `service="x"`}, false},
		{[]string{`alertname="A"`}, []string{`alertname!="A"`}, false},
		{[]string{`alertname="A"`}, []string{`alertname=~"B|C"`}, false},
		{[]string{`alertname="B"`}, []string{`alertname=~"B|C"`}, true},
		{[]string{`alertname=~"A.*"`}, []string{`alertname="B"`}, false},
		{[]string{`alertname="A"`}, []string{`alertname!~"A|B"`}, false},
		{[]string{`alertname=~"A.*"`}, []string{`alertname=~"B.*"`}, true},
		{[]string{`service="x"`}, []string{`alertname="A"`}, true},
		{[]string{`env=""`}, []string{`env=~".+"`}, false},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			"a.hcl": runbookSrc("a", tt.a...),
			"b.hcl": runbookSrc("b", tt.b...),
		})
		_, _, diags := LoadPaths(dir)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if got := len(diags) == 1; got != tt.overlap {
			t.Errorf("%v vs %v: overlap warning %v, want %v", tt.a, tt.b, got, tt.overlap)
		}
	}
}

// writeBenchRunbooks writes n disjoint runbooks, each with a diagnosis and a
// remediation, like a large real deployment.
func writeBenchRunbooks(b *testing.B, n int) string {
	dir := b.TempDir()
	for i := range n {
		src := fmt.Sprintf(`runbook "rb-%04d" {
  match    = ["alertname=\"Alert%04d\"", "service=~\"api|web\""]
  group_by = ["service"]
  diagnose "waiting" {
    prometheus {
      query = "max(pgbouncer_waiting{db=\"${alert.labels.db}\"})"
    }
  }
  remediate "grow" {
    when = diagnosis.waiting.value > 0
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "+50%%"
        max       = 400
      }
    }
  }
}
`, i, i)
		p := filepath.Join(dir, fmt.Sprintf("team-%02d", i%10), fmt.Sprintf("rb-%04d.hcl", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func BenchmarkLoadPaths1000(b *testing.B) {
	dir := writeBenchRunbooks(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		set, _, diags := LoadPaths(dir)
		if len(diags) != 0 || len(set.Runbooks) != 1000 {
			b.Fatalf("diags %v, %d runbooks", diags, len(set.Runbooks))
		}
	}
}

func BenchmarkMatch1000(b *testing.B) {
	set, _, diags := LoadPaths(writeBenchRunbooks(b, 1000))
	if len(diags) != 0 {
		b.Fatal(diags)
	}
	// The last runbook in load order: the worst case of a linear scan.
	alert := map[string]string{"alertname": "Alert0999", "service": "api", "db": "demo"}
	b.ResetTimer()
	for b.Loop() {
		if rb := set.Match(alert); rb == nil || rb.Name != "rb-0999" {
			b.Fatalf("Match = %v", rb)
		}
	}
}
