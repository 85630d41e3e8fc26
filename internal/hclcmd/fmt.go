package hclcmd

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/firebreak-dev/firebreak/runbooks"
)

// Fmt implements `firebreak fmt [-check] [-diff] [-write] PATH...`. Every
// .hcl file under PATH (runbooks and firebreak.hcl alike) is parsed, then
// formatted canonically. Without flags it lists and rewrites the files that
// change, like terraform fmt; -check only lists them and exits 1 if any
// would change; -diff also prints a unified diff; -write=false never
// writes. PATH "-" formats stdin to stdout. Files that already are
// canonical are not touched. Syntax errors are printed on stderr and exit 1.
func Fmt(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "exit 1 when a file is not formatted; write nothing (unless -write is given)")
	diff := fs.Bool("diff", false, "print a unified diff of the changes")
	write := fs.Bool("write", true, "rewrite files that are not formatted")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: firebreak fmt [-check] [-diff] [-write] PATH...  (PATH - reads stdin)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return ExitUsage
	}
	writeSet := false
	fs.Visit(func(f *flag.Flag) { writeSet = writeSet || f.Name == "write" })
	if *check && !writeSet {
		*write = false
	}
	f := &formatter{check: *check, diff: *diff, write: *write, stdout: stdout, stderr: stderr}

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
	files := map[string]*hcl.File{name: {Bytes: src}}
	w := hcl.NewDiagnosticTextWriter(f.stderr, files, 0, false)
	_ = w.WriteDiagnostics(diags)
}
