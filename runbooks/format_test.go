package runbooks

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestFormatGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/fmt/*.in.hcl")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no fmt fixtures: %v", err)
	}
	for _, in := range inputs {
		golden := strings.TrimSuffix(in, ".in.hcl") + ".golden.hcl"
		t.Run(filepath.Base(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, diags := Format(src)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Format(%s):\n%s\nwant:\n%s", in, got, want)
			}
			again, diags := Format(got)
			if diags.HasErrors() || !bytes.Equal(again, got) {
				t.Errorf("Format is not idempotent:\n%s", again)
			}
			if _, diags := Parse(golden, want); diags.HasErrors() {
				t.Errorf("golden file does not parse: %v", diags)
			}
		})
	}
}

func TestFormatRefusesSyntaxErrors(t *testing.T) {
	out, diags := Format([]byte("runbook \"x\" {\n  match = = 1\n}\n"))
	if !diags.HasErrors() || out != nil {
		t.Fatalf("Format accepted a syntax error: %q %v", out, diags)
	}
	if diags[0].Subject.Start.Line != 2 {
		t.Errorf("error at %v, want line 2", diags[0].Subject)
	}
}
