package incident

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func loadRecord(t *testing.T, name string) State {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "records", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// The records in testdata/records:
//   - escalated-no-prometheus: the README tour's incident, as
//     `firebreak incidents show -json` printed it from `firebreak dev`
//     with no Prometheus configured: one error, recorded five times;
//   - resolved-pool: the result of the workflow test's resolved pool
//     incident (workflows.TestIncidentResolvesAfterVerifiedAction's run);
//   - escalated-errors: built by hand in the record's structure, for what
//     the others lack: several distinct errors (one also in a check, one
//     in a restore, one of an escalation), generic and typed, an error
//     seen only in the timeline, Kubernetes words, approval and
//     acknowledgement.
var showRecords = []string{"escalated-no-prometheus", "resolved-pool", "escalated-errors"}

func TestWriteShowGolden(t *testing.T) {
	for _, name := range showRecords {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteShow(&b, loadRecord(t, name)); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("show", name+".golden"), b.Bytes())
		})
	}
}

// TestWriteShowEachErrorOnce checks the promise of WriteShow on every
// record: no SDK decoration is left, each recorded error is printed in
// full exactly once, and every number it is given is mentioned again only
// as that number.
func TestWriteShowEachErrorOnce(t *testing.T) {
	for _, name := range showRecords {
		t.Run(name, func(t *testing.T) {
			st := loadRecord(t, name)
			var b bytes.Buffer
			if err := WriteShow(&b, st); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if strings.Contains(out, "retryable:") || strings.Contains(out, "(type: ") {
				t.Errorf("the SDK's error decoration is left in:\n%s", out)
			}
			for _, e := range newErrorRefs(st).known {
				full := FormatError(e)
				if n := strings.Count(out, full); n != 1 {
					t.Errorf("error %q printed in full %d times, want once:\n%s", full, n, out)
				}
			}
		})
	}
}

func TestWriteShowNoRepeatsOfTheDevTourError(t *testing.T) {
	var b bytes.Buffer
	if err := WriteShow(&b, loadRecord(t, "escalated-no-prometheus")); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "no prometheus is configured"); n != 1 {
		t.Errorf("the error is printed %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "[1]"); n != 5 {
		t.Errorf("[1] appears %d times, want 5 (outcome, diagnosis, three timeline lines):\n%s", n, out)
	}
	if !strings.Contains(out, "[1] prom query: no prometheus is configured (prometheus-not-configured)\n") {
		t.Errorf("want the error in full once, with its type:\n%s", out)
	}
}

func TestErrorRefsText(t *testing.T) {
	st := State{Diagnosis: []DiagnosisRecord{{Error: "boom [t]"}, {Error: "timeout"}}}
	tests := []struct{ in, want string }{
		{"failed: boom [t]", "failed: [1] boom (t)"},
		{"again: boom [t]; then timeout", "again: [1]; then timeout"},      // "timeout" not introduced as an error
		{"connection_timeout: timeout", "connection_timeout: [2] timeout"}, // introduced by ": "
		{"(timeout)", "([2])"},
		{"boom [t] and more", "boom [t] and more"}, // does not end there
		{"", ""},
	}
	r := newErrorRefs(st)
	for _, tt := range tests {
		if got := r.text(tt.in); got != tt.want {
			t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
