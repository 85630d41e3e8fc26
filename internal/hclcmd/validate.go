package hclcmd

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// validateOptions is what Validate's flags set.
type validateOptions struct {
	format string // "text" or "compact"
	color  bool   // color text diagnostics
}

// validateFlags builds the flag set Validate parses and ValidateHelp lists.
func validateFlags(o *validateOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.StringVar(&o.format, "format", "text", "diagnostic format: text (with source snippets) or compact (one line each: file:line:col: severity: summary: detail)")
	fs.BoolVar(&o.color, "color", false, "color text diagnostics")
	return fs
}

var validateCommand = command{
	name: "validate",
	args: "PATH...",
	description: "Check runbooks and engine configuration. Each PATH is a .hcl file " +
		"or a directory, walked recursively for .hcl files except in testdata " +
		"and hidden directories below it. Files named " +
		"firebreak.hcl are checked as engine configuration, every other file as " +
		"a runbook, all runbooks together so that duplicate names and " +
		"overlapping matchers across files are found. Diagnostics go to stdout, " +
		"followed by a summary line. Exit status: 0 when everything is valid " +
		"(warnings allowed), 1 when something is not, 2 on usage or I/O errors.",
	newFlags: func() *flag.FlagSet { return validateFlags(new(validateOptions)) },
}

// ValidateHelp returns the help of `firebreak validate`: usage line,
// description and flags, without a trailing newline. Validate prints the
// same text for -h.
func ValidateHelp() string { return validateCommand.help() }

// Validate implements `firebreak validate [flags] PATH...`; see
// ValidateHelp. It prints diagnostics and a summary line on stdout and
// returns 0 when everything is valid (warnings allowed), 1 when something
// is not, and 2 on usage or I/O errors. -h prints the help on stdout and
// returns 0.
func Validate(args []string, stdout, stderr io.Writer) int {
	var opts validateOptions
	fs := validateFlags(&opts)
	if code, ok := validateCommand.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if opts.format != "text" && opts.format != "compact" {
		fmt.Fprintf(stderr, "firebreak validate: unknown -format %q: want text or compact\n", opts.format)
		return ExitUsage
	}
	if fs.NArg() == 0 {
		return validateCommand.usageError(stderr, "no PATH given")
	}
	paths, err := collectHCL(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "firebreak validate: %s\n", err)
		return ExitUsage
	}
	var rbPaths, cfgPaths []string
	for _, p := range paths {
		if filepath.Base(p) == runbooks.ConfigFileName {
			cfgPaths = append(cfgPaths, p)
		} else {
			rbPaths = append(rbPaths, p)
		}
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "firebreak validate: no .hcl files in %s\n", strings.Join(fs.Args(), " "))
		return ExitUsage
	}

	files := map[string]*hcl.File{}
	var diags hcl.Diagnostics
	if len(rbPaths) > 0 {
		_, rbFiles, rbDiags := runbooks.LoadPaths(rbPaths...)
		for name, f := range rbFiles {
			files[name] = f
		}
		diags = append(diags, rbDiags...)
	}
	for _, p := range cfgPaths {
		_, cfgDiags := config.Load(p)
		diags = append(diags, cfgDiags...)
		if src, err := os.ReadFile(p); err == nil {
			// Parsed again only to give the text writer source snippets.
			f, _ := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
			files[p] = f
		}
	}
	sortByPosition(diags)

	if opts.format == "compact" {
		for _, d := range diags {
			fmt.Fprintln(stdout, compact(d))
		}
	} else {
		w := &textWriter{w: stdout, files: files, color: opts.color}
		if err := w.writeAll(diags); err != nil {
			fmt.Fprintf(stderr, "firebreak validate: write diagnostics: %s\n", err)
			return ExitUsage
		}
	}
	fmt.Fprintln(stdout, summary(len(rbPaths), len(cfgPaths), diags))
	if diags.HasErrors() {
		return ExitFinding
	}
	return ExitOK
}

// summary is the last line: what was checked and whether it is valid.
func summary(nRunbooks, nConfigs int, diags hcl.Diagnostics) string {
	var errs, warns int
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	if errs > 0 {
		return fmt.Sprintf("%s, %s", plural(errs, "error", "errors"), plural(warns, "warning", "warnings"))
	}
	var what []string
	if nRunbooks > 0 {
		what = append(what, plural(nRunbooks, "runbook", "runbooks"))
	}
	if nConfigs > 0 {
		what = append(what, plural(nConfigs, "config", "configs"))
	}
	line := strings.Join(what, ", ") + ": valid"
	if warns > 0 {
		line += " (" + plural(warns, "warning", "warnings") + ")"
	}
	return line
}

// compact formats a diagnostic on one line, for CI logs and editors:
// file:line:col: severity: summary: detail.
func compact(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	var b strings.Builder
	if d.Subject != nil {
		fmt.Fprintf(&b, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	b.WriteString(sev + ": " + d.Summary)
	if d.Detail != "" {
		b.WriteString(": " + strings.Join(strings.Fields(d.Detail), " "))
	}
	return b.String()
}

// sortByPosition orders diagnostics by file and position so that output is
// stable and reads top to bottom; diagnostics without a position go last.
func sortByPosition(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a != nil && b == nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}
