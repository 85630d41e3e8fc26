package hclcmd

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func run(t *testing.T, f func(stdout, stderr *bytes.Buffer) int) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := f(&stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateValid(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"pool-exhaustion.hcl", "minimal.hcl", "functions.hcl"} {
		src, err := os.ReadFile(filepath.Join("..", "..", "runbooks", "testdata", "valid", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "runbooks", name), string(src))
	}
	writeFile(t, filepath.Join(dir, "firebreak.hcl"), "server {\n  listen = \"127.0.0.1:9095\"\n}\n")
	writeFile(t, filepath.Join(dir, "README.md"), "not hcl")
	code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return Validate([]string{dir}, o, e) })
	if code != ExitOK || out != "3 runbooks, 1 config: valid\n" || errOut != "" {
		t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

func TestValidateWarnings(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.hcl"), "runbook \"a\" {\n  match = [\"alertname=\\\"X\\\"\"]\n}\n")
	writeFile(t, filepath.Join(dir, "b.hcl"), "runbook \"b\" {\n  match = [\"alertname=~\\\"X|Y\\\"\"]\n}\n")
	code, out, _ := run(t, func(o, e *bytes.Buffer) int { return Validate([]string{"-format=compact", dir}, o, e) })
	want := filepath.Join(dir, "b.hcl") + ":2:3: warning: Overlapping runbooks"
	if code != ExitOK || !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "\n2 runbooks: valid (1 warning)\n") {
		t.Fatalf("code %d\n%s", code, out)
	}
}

// TestValidateInvalidCompactGolden pins the one-line output for every
// invalid fixture of the runbooks package: positions, summaries and details.
func TestValidateInvalidCompactGolden(t *testing.T) {
	golden, err := filepath.Abs(filepath.Join("testdata", "validate-invalid.compact.golden"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join("..", "..", "runbooks", "testdata"))
	code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return Validate([]string{"-format=compact", "invalid"}, o, e) })
	if code != ExitFinding || errOut != "" {
		t.Fatalf("code %d, stderr %s", code, errOut)
	}
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("compact output differs from %s (run with -update to accept):\n%s", golden, out)
	}
}

// TestValidateTextGolden pins the default output for people: headings with
// file:line:col, snippets bounded to the context's first line and the
// subject's lines, and a misspelt block reported as its one error.
func TestValidateTextGolden(t *testing.T) {
	tests := []struct {
		name string // golden file testdata/validate-<name>.text.golden
		dir  string // working directory, so that paths in the output are stable
		args []string
		code int
	}{
		// The new user's case: a misspelt block type inside a runbook. One
		// error, no "Unused target" warning for the target only that block
		// used, and a one-line snippet.
		{"misspelt-block", "../../runbooks/testdata", []string{"invalid/runbook-misspelt-remediate.hcl"}, ExitFinding},
		{"invalid", "../../runbooks/testdata", []string{"invalid"}, ExitFinding},
		// A warning in context of the whole runbook: header, "...", subject.
		{"unused-target", "testdata/text", []string{"unused-target.hcl"}, ExitOK},
		{"long-subject", "testdata/text", []string{"long-subject.hcl"}, ExitFinding},
		{"config", "testdata/text", []string{"config/firebreak.hcl"}, ExitFinding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden, err := filepath.Abs(filepath.Join("testdata", "validate-"+tt.name+".text.golden"))
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(tt.dir)
			code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return Validate(tt.args, o, e) })
			if code != tt.code || errOut != "" {
				t.Errorf("code %d, want %d; stderr %q", code, tt.code, errOut)
			}
			checkGolden(t, golden, out)
		})
	}
}

// snippetLine is the start of a quoted source line in text output.
var snippetLine = regexp.MustCompile(`(?m)^ *[0-9]+: `)

// TestValidateMisspeltBlock states what the misspelt-block golden must
// show, so that accepting a golden with -update cannot lose it.
func TestValidateMisspeltBlock(t *testing.T) {
	t.Chdir(filepath.Join("..", "..", "runbooks", "testdata"))
	_, out, _ := run(t, func(o, e *bytes.Buffer) int {
		return Validate([]string{"invalid/runbook-misspelt-remediate.hcl"}, o, e)
	})
	if n := strings.Count(out, "Error: "); n != 1 || strings.Contains(out, "Warning: ") || !strings.HasSuffix(out, "\n1 error, 0 warnings\n") {
		t.Errorf("want exactly one error and no warning, got %d errors:\n%s", n, out)
	}
	if !strings.Contains(out, "Error: Unsupported block type\n\n  on invalid/runbook-misspelt-remediate.hcl:18:3, in runbook ") {
		t.Errorf("heading without file:line:col:\n%s", out)
	}
	if lines := snippetLine.FindAllString(out, -1); len(lines) != 1 || lines[0] != "  18: " {
		t.Errorf("want a one-line snippet (line 18), got %q in:\n%s", lines, out)
	}
}

func TestValidateText(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.hcl")
	writeFile(t, path, "runbook \"bad\" {\n  match = [\"alertname=\\\"X\\\"\"]\n  escalate_when = diagnosis.nope.value > 1\n}\n")
	code, out, _ := run(t, func(o, e *bytes.Buffer) int { return Validate([]string{path}, o, e) })
	for _, want := range []string{
		"Error: Reference to undefined diagnosis",
		"on " + path + ":3:19, in runbook \"bad\":",
		"escalate_when = diagnosis.nope.value > 1",
		"1 error, 0 warnings\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if code != ExitFinding || strings.Contains(out, "\x1b[") {
		t.Errorf("code %d, or color without -color", code)
	}
}

func TestValidateConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "firebreak.hcl")
	writeFile(t, path, "server {\n  listen = \"nope\"\n  token  = \"hunter2\"\n}\n")
	code, out, _ := run(t, func(o, e *bytes.Buffer) int { return Validate([]string{"-format=compact", path}, o, e) })
	if code != ExitFinding || !strings.HasPrefix(out, path+":2:12: error: Invalid address") || strings.Contains(out, "hunter2") {
		t.Fatalf("code %d\n%s", code, out)
	}
}

func TestValidateUsage(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no paths", nil, ExitUsage},
		{"bad format", []string{"-format=json", "."}, ExitUsage},
		{"bad flag", []string{"-nope", "."}, ExitUsage},
		{"missing path", []string{filepath.Join(empty, "nope")}, ExitUsage},
		{"nothing to validate", []string{empty}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, func(o, e *bytes.Buffer) int { return Validate(tt.args, o, e) })
			if code != tt.want || errOut == "" {
				t.Errorf("code %d, want %d; stderr %q", code, tt.want, errOut)
			}
		})
	}
}

const (
	unformatted = "runbook \"x\" {\nmatch = [\"a=\\\"b\\\"\"]\n    owner=\"me\"\n}\n"
	formatted   = "runbook \"x\" {\n  match = [\"a=\\\"b\\\"\"]\n  owner = \"me\"\n}\n"
)

func fmtDir(t *testing.T) (dir, ugly, clean string) {
	dir = t.TempDir()
	ugly, clean = filepath.Join(dir, "sub", "ugly.hcl"), filepath.Join(dir, "clean.hcl")
	writeFile(t, ugly, unformatted)
	writeFile(t, clean, formatted)
	writeFile(t, filepath.Join(dir, "notes.txt"), "ignored  =  1\n")
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(clean, old, old); err != nil {
		t.Fatal(err)
	}
	return dir, ugly, clean
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFmtDefaultWrites(t *testing.T) {
	dir, ugly, clean := fmtDir(t)
	code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{dir}, nil, o, e) })
	if code != ExitOK || out != ugly+"\n" || errOut != "" {
		t.Fatalf("code %d stdout %q stderr %q", code, out, errOut)
	}
	if readString(t, ugly) != formatted {
		t.Errorf("not rewritten: %q", readString(t, ugly))
	}
	if info, _ := os.Stat(clean); info.ModTime().Year() != 2020 {
		t.Errorf("formatted file was touched")
	}
	if readString(t, filepath.Join(dir, "notes.txt")) != "ignored  =  1\n" {
		t.Errorf("non-hcl file was touched")
	}
	// Idempotent: a second run changes nothing.
	if code, out, _ := run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{"-check", dir}, nil, o, e) }); code != ExitOK || out != "" {
		t.Errorf("second run: code %d, %q", code, out)
	}
}

func TestFmtCheckDiff(t *testing.T) {
	dir, ugly, _ := fmtDir(t)
	code, out, _ := run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{"-check", "-diff", dir}, nil, o, e) })
	want := ugly + "\n" +
		"--- " + ugly + ".orig\n" +
		"+++ " + ugly + "\n" +
		"@@ -1,4 +1,4 @@\n" +
		" runbook \"x\" {\n" +
		"-match = [\"a=\\\"b\\\"\"]\n" +
		"-    owner=\"me\"\n" +
		"+  match = [\"a=\\\"b\\\"\"]\n" +
		"+  owner = \"me\"\n" +
		" }\n"
	if code != ExitFinding || out != want {
		t.Errorf("code %d, got:\n%s\nwant:\n%s", code, out, want)
	}
	if readString(t, ugly) != unformatted {
		t.Errorf("-check wrote the file")
	}
	// -check -write both report and write.
	if code, _, _ := run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{"-check", "-write", ugly}, nil, o, e) }); code != ExitFinding || readString(t, ugly) != formatted {
		t.Errorf("-check -write: code %d, content %q", code, readString(t, ugly))
	}
}

func TestFmtWriteFalse(t *testing.T) {
	_, ugly, _ := fmtDir(t)
	code, out, _ := run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{"-write=false", ugly}, nil, o, e) })
	if code != ExitOK || out != ugly+"\n" || readString(t, ugly) != unformatted {
		t.Errorf("code %d out %q", code, out)
	}
}

func TestFmtStdin(t *testing.T) {
	code, out, _ := run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{"-"}, strings.NewReader(unformatted), o, e) })
	if code != ExitOK || out != formatted {
		t.Errorf("code %d out %q", code, out)
	}
	code, out, _ = run(t, func(o, e *bytes.Buffer) int {
		return Fmt([]string{"-check", "-"}, strings.NewReader(unformatted), o, e)
	})
	if code != ExitFinding || out != "" {
		t.Errorf("-check -: code %d out %q", code, out)
	}
	code, _, _ = run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{"-check", "-"}, strings.NewReader(formatted), o, e) })
	if code != ExitOK {
		t.Errorf("-check on formatted stdin: code %d", code)
	}
}

func TestFmtSyntaxError(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.hcl")
	writeFile(t, bad, "runbook \"x\" {\n  match = = 1\n}\n")
	code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{dir}, nil, o, e) })
	if code != ExitFinding || out != "" || !strings.Contains(errOut, "Error: Invalid expression") || !strings.Contains(errOut, bad+":2:11") {
		t.Errorf("code %d stdout %q stderr %q", code, out, errOut)
	}
	if readString(t, bad) != "runbook \"x\" {\n  match = = 1\n}\n" {
		t.Errorf("broken file was rewritten")
	}
}

func TestFmtUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-bogus", "x"}, {filepath.Join(t.TempDir(), "missing")}} {
		if code, _, _ := run(t, func(o, e *bytes.Buffer) int { return Fmt(args, nil, o, e) }); code != ExitUsage {
			t.Errorf("Fmt(%q) = %d, want %d", args, code, ExitUsage)
		}
	}
}

// TestHelp pins the help texts the CLI shows and checks that -h prints the
// same text on stdout, with a newline as hashicorp/cli adds, and succeeds.
func TestHelp(t *testing.T) {
	tests := []struct {
		name     string
		help     string
		newFlags func() *flag.FlagSet
		run      func(args []string, stdout, stderr *bytes.Buffer) int
	}{
		{"validate", ValidateHelp(), validateCommand.newFlags, func(a []string, o, e *bytes.Buffer) int { return Validate(a, o, e) }},
		{"fmt", FmtHelp(), fmtCommand.newFlags, func(a []string, o, e *bytes.Buffer) int { return Fmt(a, nil, o, e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", tt.name+"-help.golden"), tt.help)
			if !strings.HasPrefix(tt.help, "Usage: firebreak "+tt.name+" [flags] PATH...\n") {
				t.Errorf("usage line: %q", strings.SplitN(tt.help, "\n", 2)[0])
			}
			tt.newFlags().VisitAll(func(f *flag.Flag) {
				if !strings.Contains(tt.help, "\n  -"+f.Name) {
					t.Errorf("help does not list -%s", f.Name)
				}
			})
			for _, arg := range []string{"-h", "-help", "--help"} {
				code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return tt.run([]string{arg, "ignored"}, o, e) })
				if code != ExitOK || out != tt.help+"\n" || errOut != "" {
					t.Errorf("%s: code %d, stderr %q, stdout:\n%s", arg, code, errOut, out)
				}
			}
			// A usage error shows the same help, on stderr.
			code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return tt.run(nil, o, e) })
			if code != ExitUsage || out != "" || !strings.HasSuffix(errOut, "\n\n"+tt.help+"\n") {
				t.Errorf("no args: code %d, stdout %q, stderr:\n%s", code, out, errOut)
			}
		})
	}
}

// checkGolden compares got with the golden file at path; with -update it
// rewrites the file first.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
	}
}

// TestWalkSkipsTestdataAndHidden checks that walking a directory leaves out
// testdata and hidden directories below it (fixtures there are invalid on
// purpose), and that naming one, or a path inside one, checks it.
func TestWalkSkipsTestdataAndHidden(t *testing.T) {
	const valid = "runbook \"%s\" {\n  match = [\"alertname=\\\"%s\\\"\"]\n}\n"
	const broken = "runbook \"x\" {\n  match = = 1\n}\n"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.hcl"), fmt.Sprintf(valid, "a", "A"))
	writeFile(t, filepath.Join(dir, "sub", "b.hcl"), fmt.Sprintf(valid, "b", "B"))
	for _, skipped := range []string{"testdata", ".git", ".firebreak", filepath.Join("sub", "testdata"), filepath.Join("testdata", "invalid")} {
		writeFile(t, filepath.Join(dir, skipped, "broken.hcl"), broken)
	}
	tests := []struct {
		name   string
		path   string // relative to dir
		want   string // compact output starts so
		errors int    // broken files found
	}{
		{"root", ".", "2 runbooks: valid\n", 0},
		{"subdirectory", "sub", "1 runbook: valid\n", 0},
		// Named testdata is walked, with everything inside it.
		{"testdata named", "testdata", "testdata/broken.hcl:2:11: error: Invalid expression", 2},
		{"inside testdata", filepath.Join("testdata", "invalid"), "testdata/invalid/broken.hcl:2:11: error: Invalid expression", 1},
		{"nested testdata named", filepath.Join("sub", "testdata"), "sub/testdata/broken.hcl:2:11: error: Invalid expression", 1},
		{"hidden named", ".git", ".git/broken.hcl:2:11: error: Invalid expression", 1},
		{"hidden file named", filepath.Join(".firebreak", "broken.hcl"), ".firebreak/broken.hcl:2:11: error: Invalid expression", 1},
	}
	t.Chdir(dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return Validate([]string{"-format=compact", tt.path}, o, e) })
			wantCode := ExitOK
			if tt.errors > 0 {
				wantCode = ExitFinding
			}
			if code != wantCode || !strings.HasPrefix(out, filepath.FromSlash(tt.want)) || strings.Count(out, "error:") != tt.errors || errOut != "" {
				t.Errorf("validate %s: code %d, want %d and %d errors; stdout:\n%sstderr: %s", tt.path, code, wantCode, tt.errors, out, errOut)
			}
		})
	}
	// fmt walks the same way: the broken fixtures are neither reported nor
	// rewritten.
	code, out, errOut := run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{"-check", "."}, nil, o, e) })
	if code != ExitOK || out != "" || errOut != "" {
		t.Errorf("fmt -check .: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = run(t, func(o, e *bytes.Buffer) int { return Fmt([]string{"-check", "testdata"}, nil, o, e) })
	if code != ExitFinding || !strings.Contains(errOut, filepath.Join("testdata", "broken.hcl")+":2:11") {
		t.Errorf("fmt -check testdata: code %d, stderr %q", code, errOut)
	}
}
