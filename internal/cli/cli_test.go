package cli

import (
	"bytes"
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// run runs the CLI in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// argNames are the names in a usage line's arguments: "[COMMAND
// [SUBCOMMAND]]" → COMMAND, SUBCOMMAND.
var argName = regexp.MustCompile(`[A-Z][A-Z_]+`)

// TestEveryCommandHelp iterates the real command table, so a command added
// to it is checked here without anyone remembering to: -h exits 0 with a
// usage line naming the command and its positional arguments, `firebreak
// help CMD` prints the same text, and an unknown flag is a usage error.
func TestEveryCommandHelp(t *testing.T) {
	table := commands()
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, want := range []string{"incidents list", "incidents show", "approve", "ack", "validate", "fmt", "version", "completion"} {
		if _, ok := table[want]; !ok {
			t.Errorf("the command table has no %q", want)
		}
	}
	for _, name := range names {
		c := table[name]
		words := strings.Fields(name)
		t.Run(name, func(t *testing.T) {
			for _, h := range []string{"-h", "--help", "-help"} {
				code, out, errOut := run(t, append(append([]string(nil), words...), h)...)
				if code != ExitOK {
					t.Errorf("%s %s: exit %d, want 0\nstderr: %s", name, h, code, errOut)
				}
				if !strings.Contains(out, "Usage: firebreak "+name) {
					t.Errorf("%s %s: no %q in:\n%s", name, h, "Usage: firebreak "+name, out)
				}
				for _, a := range argName.FindAllString(c.args, -1) {
					if !strings.Contains(out, a) {
						t.Errorf("%s %s: the help does not name the argument %s:\n%s", name, h, a, out)
					}
				}
				if c.synopsis == "" || (c.description == "" && c.help == nil) {
					t.Errorf("%s has no synopsis or description", name)
				}
			}
			_, help, _ := run(t, append(words, "-h")...)
			code, out, errOut := run(t, append([]string{"help"}, words...)...)
			if code != ExitOK || out != help {
				t.Errorf("firebreak help %s: exit %d, output differs from -h:\n%s\nwant:\n%s\nstderr: %s", name, code, out, help, errOut)
			}
			code, out, errOut = run(t, append(words, "-no-such-flag")...)
			if code != ExitError {
				t.Errorf("%s -no-such-flag: exit %d, want %d", name, code, ExitError)
			}
			if !strings.Contains(errOut, "-no-such-flag") || !strings.Contains(errOut, "Usage: firebreak "+name) {
				t.Errorf("%s -no-such-flag: stderr lacks the error or the usage:\n%s", name, errOut)
			}
			if out != "" {
				t.Errorf("%s -no-such-flag wrote to stdout: %s", name, out)
			}
		})
	}
}

// TestUsageErrors: the top level and the positional arguments.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"no arguments lists the commands", nil, ExitError, "Commands:", ""},
		{"help", []string{"help"}, ExitOK, "Commands:", ""},
		{"-h", []string{"-h"}, ExitOK, "Commands:", ""},
		{"--help", []string{"--help"}, ExitOK, "Commands:", ""},
		{"unknown command", []string{"nosuch"}, ExitError, "", `unknown command "nosuch"`},
		{"help for an unknown command", []string{"help", "nosuch"}, ExitError, "", `unknown command "nosuch"`},
		{"unknown top-level flag", []string{"-no-such-flag"}, ExitError, "", "flag provided but not defined: -no-such-flag"},
		{"flag before the command", []string{"-json", "version"}, ExitError, "", "flag provided but not defined: -json"},
		{"missing ID", []string{"approve"}, ExitError, "", "missing INCIDENT_ID"},
		{"two IDs", []string{"ack", "a/1", "b/2"}, ExitError, "", "want INCIDENT_ID, got 2 arguments"},
		{"a flag after the ID", []string{"incidents", "show", "a/1", "-json"}, ExitError, "", "flags go before the arguments"},
		{"stray argument", []string{"resume", "now"}, ExitError, "", `unexpected argument "now"`},
		{"unknown subcommand", []string{"incidents", "lsit"}, ExitError, "", "the subcommands are list and show"},
		{"version takes no argument", []string{"version", "x"}, ExitError, "", "Usage: firebreak version"},
		{"unknown shell", []string{"completion", "fish"}, ExitError, "", `unknown shell "fish"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("stdout lacks %q:\n%s", tt.out, out)
			}
			if !strings.Contains(errOut, tt.err) {
				t.Errorf("stderr lacks %q:\n%s", tt.err, errOut)
			}
		})
	}
}

// TestVersion: version, --version and -v print the same line; -json the
// same build as an object.
func TestVersion(t *testing.T) {
	want := buildInfo().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}, {"-version"}} {
		if code, out, _ := run(t, args...); code != ExitOK || out != want {
			t.Errorf("%v: exit %d, %q, want %q", args, code, out, want)
		}
	}
	old := Version
	Version = "v9.9.9-test"
	t.Cleanup(func() { Version = old })
	if code, out, _ := run(t, "version"); code != ExitOK || !strings.HasPrefix(out, "firebreak v9.9.9-test ") {
		t.Errorf("-ldflags override: exit %d, %q", code, out)
	}
	code, out, _ := run(t, "version", "-json")
	for _, key := range []string{`"version": "v9.9.9-test"`, `"revision":`, `"time":`, `"modified":`, `"go": "go`} {
		if code != ExitOK || !strings.Contains(out, key) {
			t.Errorf("version -json: exit %d, no %s in %s", code, key, out)
		}
	}
}

// TestCompletion runs the completion the shell asks for (COMP_LINE and
// COMP_POINT set): command names, subcommands, flags and flag values.
func TestCompletion(t *testing.T) {
	tests := []struct {
		line       string
		want, not  []string
		onlyWanted bool
	}{
		{line: "firebreak ", want: []string{"dev", "incidents", "approve", "version", "completion", "help"}},
		{line: "firebreak inc", want: []string{"incidents"}, onlyWanted: true},
		{line: "firebreak incidents ", want: []string{"list", "show"}, onlyWanted: true},
		{line: "firebreak incidents show -", want: []string{"-address", "-json", "-namespace", "-config"}, not: []string{"-limit"}},
		{line: "firebreak ack -", want: []string{"-server", "-token-file", "-state", "-json"}, not: []string{"-approval"}},
		{line: "firebreak approve -", want: []string{"-approval", "-server"}},
		{line: "firebreak validate -", want: []string{"-format", "-color"}},
		{line: "firebreak fmt -", want: []string{"-check", "-diff", "-write"}},
		{line: "firebreak serve -role ", want: []string{"all", "receiver", "worker"}, onlyWanted: true},
		{line: "firebreak completion ", want: []string{"bash", "zsh"}, onlyWanted: true},
		{line: "firebreak --v", want: []string{"--version"}, onlyWanted: true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Setenv("COMP_LINE", tt.line)
			t.Setenv("COMP_POINT", "")
			// Bash passes the command, the word and the previous word;
			// completion reads COMP_LINE alone.
			code, out, errOut := run(t, "firebreak", "x", "y")
			if code != ExitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			got := strings.Fields(out)
			for _, w := range tt.want {
				if !contains(got, w) {
					t.Errorf("no %q in %q", w, got)
				}
			}
			for _, w := range tt.not {
				if contains(got, w) {
					t.Errorf("%q offered in %q", w, got)
				}
			}
			if tt.onlyWanted && len(got) != len(tt.want) {
				t.Errorf("got %q, want only %q", got, tt.want)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCompletionScript(t *testing.T) {
	code, out, _ := run(t, "completion", "bash")
	if code != ExitOK || !regexp.MustCompile(`(?m)^complete -C \S+ firebreak$`).MatchString(out) {
		t.Errorf("bash: exit %d:\n%s", code, out)
	}
	code, out, _ = run(t, "completion", "zsh")
	if code != ExitOK || !strings.Contains(out, "autoload -U +X bashcompinit && bashcompinit\ncomplete -C ") {
		t.Errorf("zsh: exit %d:\n%s", code, out)
	}
	if got := shellQuote("/a b/it's"); got != `'/a b/it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}
