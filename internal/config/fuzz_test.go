package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/firebreak-dev/firebreak/runbooks"
)

// secretAttrs are the attributes whose values are credentials.
var secretAttrs = map[string]bool{"token": true, "bot_token": true, "signing_secret": true, "app_token": true, "routing_key": true}

// FuzzParse feeds arbitrary firebreak.hcl sources to Parse. Properties: no
// panic; errors come as diagnostics with no Config, and every error
// diagnostic carries a file:line:col inside the source (its Context, when
// set, too); an accepted Config has its defaults filled in (non-empty
// Temporal settings, a positive body limit); and no diagnostic repeats a
// credential's value.
//
// Parse reads x_file and kubeconfig files. The fuzz runs it on a copy of
// testdata/full in a temporary directory, and skips sources with a string
// that could name a file outside it (absolute, "~", or climbing out with
// ".."), so that it never reads /dev/zero or a FIFO.
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, glob := range []string{"testdata/*.hcl", "testdata/*/*.hcl", "../../examples/*/firebreak.hcl"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) < 5 {
		f.Fatalf("only %d seed configurations", len(seeds))
	}
	for _, p := range seeds {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	dir := f.TempDir()
	for _, p := range []string{"secrets/webhook-token", "kubeconfig"} {
		from, to := filepath.Join("testdata", "full", p), filepath.Join(dir, "full", p)
		if p == "kubeconfig" {
			from, to = filepath.Join("testdata", p), filepath.Join(dir, p)
		}
		b, err := os.ReadFile(from)
		if err != nil {
			f.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			f.Fatal(err)
		}
	}
	filename := filepath.Join(dir, "full", "firebreak.hcl")
	f.Fuzz(func(t *testing.T, src []byte) {
		strs, secrets, ok := configStrings(src, dir)
		if !ok {
			return
		}
		cfg, diags := Parse(filename, src)
		if diags.HasErrors() != (cfg == nil) {
			t.Fatalf("config %v with errors %t", cfg != nil, diags.HasErrors())
		}
		for _, d := range diags {
			if d.Severity != hcl.DiagError {
				continue
			}
			if d.Subject == nil {
				t.Fatalf("error %q has no file:line:col", d.Summary)
			}
			checkRange(t, d.Summary, "subject", *d.Subject, filename, src)
			if d.Context != nil {
				checkRange(t, d.Summary, "context", *d.Context, filename, src)
			}
			for _, s := range secrets {
				if leaks(s, strs, filename) && (strings.Contains(d.Summary, s) || strings.Contains(d.Detail, s)) {
					t.Fatalf("diagnostic %q repeats a credential: %s", d.Summary, d.Detail)
				}
			}
		}
		if cfg == nil {
			return
		}
		if cfg.Filename != filename || cfg.Temporal.Address == "" || cfg.Temporal.Namespace == "" || cfg.Temporal.TaskQueue == "" ||
			cfg.Server.Listen == "" || cfg.Server.MaxBodyBytes <= 0 || cfg.Prometheus.Timeout <= 0 || cfg.Incidents.Linger < 0 {
			t.Fatalf("accepted config without its defaults: %+v", cfg)
		}
		if k := cfg.Kubernetes; k != nil && (k.QPS <= 0 || k.Burst < 1 || k.InCluster == (k.Kubeconfig != "")) {
			t.Fatalf("accepted kubernetes settings %+v", k)
		}
	})
}

func checkRange(t *testing.T, summary, which string, r hcl.Range, filename string, src []byte) {
	t.Helper()
	if r.Filename != filename || r.Start.Line < 1 || r.Start.Column < 1 || r.Start.Byte > len(src) || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		t.Fatalf("error %q: %s at impossible position %s (source is %d bytes)", summary, which, r, len(src))
	}
}

// leaks reports whether secret s, if it appeared in a diagnostic, could
// only have come from the credential: it is long enough, and no other
// string in the file (value, name or label) contains it.
func leaks(s string, others []string, filename string) bool {
	if len(s) < 8 || strings.Contains(filename, s) {
		return false
	}
	for _, o := range others {
		if strings.Contains(o, s) {
			return false
		}
	}
	return true
}

// configStrings evaluates every attribute of src the way Parse does (no
// variables, no functions) and returns the strings that are not
// credentials (values, attribute names, block types and labels) and the
// credentials. ok is false when a string could make Parse read outside
// dir.
func configStrings(src []byte, dir string) (others, secrets []string, ok bool) {
	file, diags := hclsyntax.ParseConfig(src, "fuzz.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, true // Parse stops before reading anything
	}
	if runbooks.CheckNumbers(file.Body).HasErrors() {
		return nil, nil, true // so does it here, before evaluating anything
	}
	ok = true
	var walk func(b *hclsyntax.Body)
	walk = func(b *hclsyntax.Body) {
		for name, a := range b.Attributes {
			others = append(others, name)
			v, _ := a.Expr.Value(evalCtx)
			for _, s := range ctyStrings(v) {
				if !inside(dir, s) {
					ok = false
				}
				if secretAttrs[name] && v.Type() == cty.String {
					secrets = append(secrets, s)
				} else {
					others = append(others, s)
				}
			}
		}
		for _, blk := range b.Blocks {
			others = append(others, blk.Type)
			others = append(others, blk.Labels...)
			walk(blk.Body)
		}
	}
	walk(file.Body.(*hclsyntax.Body))
	return others, secrets, ok
}

// inside reports whether s, taken as a path the way Parse resolves it
// (against dir/full, a leading ~ expanded), stays within dir.
func inside(dir, s string) bool {
	if filepath.IsAbs(s) || strings.HasPrefix(s, "~") {
		return false
	}
	p := filepath.Join(dir, "full", s)
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// ctyStrings lists the strings in v, however deeply nested; numbers and
// bools count too, since Parse converts them to strings where it wants one.
func ctyStrings(v cty.Value) []string {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return []string{v.AsString()}
	case t == cty.Number:
		return []string{v.AsBigFloat().Text('f', -1)}
	case t == cty.Bool:
		return nil
	case t.IsListType(), t.IsSetType(), t.IsTupleType(), t.IsMapType(), t.IsObjectType():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out = append(out, ctyStrings(k)...)
			out = append(out, ctyStrings(e)...)
		}
		return out
	}
	return nil
}
