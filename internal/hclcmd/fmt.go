package hclcmd

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/firebreak-dev/firebreak/runbooks"
)

// fmtOptions is what Fmt's flags set.
type fmtOptions struct {
	check, diff, write bool
	writeSet           bool // -write was given explicitly
}

// fmtFlags builds the flag set Fmt parses and FmtHelp lists.
func fmtFlags(o *fmtOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.BoolVar(&o.check, "check", false, "exit 1 when a file is not formatted; write nothing (unless -write is given)")
	fs.BoolVar(&o.diff, "diff", false, "print a unified diff of the changes")
	fs.BoolVar(&o.write, "write", true, "rewrite files that are not formatted")
	return fs
}

var fmtCommand = command{
	name: "fmt",
	args: "PATH...",
	description: "Rewrite runbooks and firebreak.hcl in canonical HCL format. Each " +
		"PATH is a .hcl file or a directory, walked recursively for .hcl files " +
		"except in testdata and hidden directories below it; " +
		"PATH - formats stdin to stdout. Every file is parsed first; files with " +
		"syntax errors are reported on stderr and left alone. Without flags fmt " +
		"lists and rewrites the files that change, like terraform fmt; files " +
		"that already are canonical are not touched. Exit status: 0 on success, " +
		"1 on syntax errors or when -check found a file to rewrite, 2 on usage " +
		"or I/O errors.",
	newFlags: func() *flag.FlagSet { return fmtFlags(new(fmtOptions)) },
}

// FmtHelp returns the help of `firebreak fmt`: usage line, description and
// flags, without a trailing newline. Fmt prints the same text for -h.
func FmtHelp() string { return fmtCommand.help() }

// Fmt implements `firebreak fmt [flags] PATH...`; see FmtHelp. Without
// flags it lists and rewrites the files that change; -check only lists
// them and exits 1 if any would change; -diff also prints a unified diff;
// -write=false never writes. -h prints the help on stdout and returns 0.
func Fmt(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var opts fmtOptions
	fs := fmtFlags(&opts)
	if code, ok := fmtCommand.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return fmtCommand.usageError(stderr, "no PATH given")
	}
	fs.Visit(func(f *flag.Flag) { opts.writeSet = opts.writeSet || f.Name == "write" })
	if opts.check && !opts.writeSet {
		opts.write = false
	}
	f := &formatter{check: opts.check, diff: opts.diff, write: opts.write, stdout: stdout, stderr: stderr}

	code := ExitOK
	for _, arg := range fs.Args() {
		var c int
		if arg == "-" {
			c = f.stdin(stdin)
		} else {
			c = f.path(arg)
		}
		code = max(code, c)
	}
	return code
}

type formatter struct {
	check, diff, write bool
	stdout, stderr     io.Writer
}

func (f *formatter) path(root string) int {
	files, err := collectHCL([]string{root})
	if err != nil {
		fmt.Fprintf(f.stderr, "firebreak fmt: %s\n", err)
		return ExitUsage
	}
	code := ExitOK
	for _, name := range files {
		code = max(code, f.file(name))
	}
	return code
}

func (f *formatter) file(name string) int {
	info, err := os.Stat(name)
	if err != nil {
		fmt.Fprintf(f.stderr, "firebreak fmt: %s\n", err)
		return ExitUsage
	}
	src, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(f.stderr, "firebreak fmt: %s\n", err)
		return ExitUsage
	}
	out, diags := runbooks.FormatFile(name, src)
	if diags.HasErrors() {
		f.diagnostics(name, src, diags)
		return ExitFinding
	}
	if bytes.Equal(src, out) {
		return ExitOK
	}
	fmt.Fprintln(f.stdout, name)
	if f.diff {
		if err := writeUnifiedDiff(f.stdout, name+".orig", name, string(src), string(out)); err != nil {
			fmt.Fprintf(f.stderr, "firebreak fmt: %s\n", err)
			return ExitUsage
		}
	}
	if f.write {
		if err := os.WriteFile(name, out, info.Mode().Perm()); err != nil {
			fmt.Fprintf(f.stderr, "firebreak fmt: write %s: %s\n", name, err)
			return ExitUsage
		}
	}
	if f.check {
		return ExitFinding
	}
	return ExitOK
}

// stdin formats standard input to standard output; with -check or -diff it
// reports instead of printing the result.
func (f *formatter) stdin(r io.Reader) int {
	src, err := io.ReadAll(r)
	if err != nil {
		fmt.Fprintf(f.stderr, "firebreak fmt: read stdin: %s\n", err)
		return ExitUsage
	}
	out, diags := runbooks.FormatFile("<stdin>", src)
	if diags.HasErrors() {
		f.diagnostics("<stdin>", src, diags)
		return ExitFinding
	}
	changed := !bytes.Equal(src, out)
	if f.diff && changed {
		if err := writeUnifiedDiff(f.stdout, "<stdin>.orig", "<stdin>", string(src), string(out)); err != nil {
			fmt.Fprintf(f.stderr, "firebreak fmt: %s\n", err)
			return ExitUsage
		}
	}
	if !f.check && !f.diff {
		if _, err := f.stdout.Write(out); err != nil {
			fmt.Fprintf(f.stderr, "firebreak fmt: write stdout: %s\n", err)
			return ExitUsage
		}
	}
	if f.check && changed {
		return ExitFinding
	}
	return ExitOK
}

func (f *formatter) diagnostics(name string, src []byte, diags hcl.Diagnostics) {
	w := &textWriter{w: f.stderr, files: map[string]*hcl.File{name: {Bytes: src}}}
	_ = w.writeAll(diags)
}
