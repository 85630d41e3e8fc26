package hclcmd

import (
	"bufio"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
)

// maxSubjectLines bounds how much of a diagnostic's subject is quoted; a
// subject is one construct and rarely longer, except a long list or
// expression, whose first lines identify it.
const maxSubjectLines = 5

// textWriter writes diagnostics for people in the layout of hcl's
// DiagnosticTextWriter (and Terraform's): severity and summary, location,
// source snippet, detail. It differs in two ways, which hcl's writer cannot
// be configured for:
//
//   - The location is file:line:col, as compact output and editors have it,
//     instead of "FILE line N", so that a terminal or editor can jump to it.
//   - The snippet is bounded. hcl quotes every line of Subject and Context
//     together, and Context is, by our style rule and by hcl's definition,
//     the enclosing construct: a whole block, often a whole runbook of 50
//     lines for a one-line problem. Context is right as data (tools may
//     highlight the block) and stays as it is in the diagnostics; only its
//     presentation is bounded, here, where it is printed. Of the Context,
//     what a reader needs is its first line, the header that says which
//     block this is; of the Subject, its lines. Lines in between are
//     elided.
type textWriter struct {
	w     io.Writer
	files map[string]*hcl.File // source for snippets, by file name
	color bool                 // VT100 colors, like hcl's writer
}

func (tw *textWriter) writeAll(diags hcl.Diagnostics) error {
	for _, d := range diags {
		if err := tw.write(d); err != nil {
			return err
		}
	}
	return nil
}

func (tw *textWriter) write(d *hcl.Diagnostic) error {
	var color, highlight, reset string
	if tw.color {
		color, highlight, reset = "\x1b[31m", "\x1b[1;4m", "\x1b[0m"
		if d.Severity == hcl.DiagWarning {
			color = "\x1b[33m"
		}
	}
	sev := "Error"
	if d.Severity == hcl.DiagWarning {
		sev = "Warning"
	}
	b := &errWriter{w: tw.w}
	b.printf("%s%s%s: %s\n\n", color, sev, reset, d.Summary)
	if s := d.Subject; s != nil {
		loc := fmt.Sprintf("%s:%d:%d", s.Filename, s.Start.Line, s.Start.Column)
		file := tw.files[s.Filename]
		if file == nil || file.Bytes == nil {
			b.printf("  on %s:\n  (source code not available)\n\n", loc)
		} else {
			if in := enclosing(file, s.Start.Byte); in != "" {
				loc += ", in " + in
			}
			b.printf("  on %s:\n", loc)
			tw.snippet(b, file.Bytes, d, highlight, reset)
			b.printf("\n")
		}
	}
	// hcl's writer also prints the values of the variables an expression
	// read (Expression, EvalContext); validate evaluates only with unknown
	// values, which hcl's writer skips, so there is nothing to print.
	if d.Detail != "" {
		b.printf("%s\n\n", d.Detail)
	}
	return b.err
}

// snippet prints the lines of the Context's first line and of the Subject
// (at most maxSubjectLines), numbered, with "..." for lines left out and the
// subject highlighted when colored.
func (tw *textWriter) snippet(b *errWriter, src []byte, d *hcl.Diagnostic, highlight, reset string) {
	subject := nonEmpty(*d.Subject)
	header := subject.Start.Line
	if d.Context != nil && d.Context.Start.Line < header {
		header = d.Context.Start.Line
	}
	last := 0   // the last line printed
	quoted := 0 // subject lines printed
	sc := hcl.NewRangeScanner(src, subject.Filename, bufio.ScanLines)
	for sc.Scan() {
		line := sc.Range()
		inSubject := line.Overlaps(subject)
		switch {
		case line.Start.Line == header:
		case inSubject && quoted < maxSubjectLines:
		case inSubject && quoted == maxSubjectLines:
			b.printf("      ...\n")
			quoted++
			continue
		default:
			continue
		}
		if last != 0 && line.Start.Line > last+1 {
			b.printf("      ...\n")
		}
		last = line.Start.Line
		if inSubject {
			quoted++
		}
		before, hl, after := line.PartitionAround(subject)
		if hl.Empty() {
			b.printf("%4d: %s\n", line.Start.Line, sc.Bytes())
			continue
		}
		b.printf("%4d: %s%s%s%s%s\n", line.Start.Line,
			before.SliceBytes(src), highlight, hl.SliceBytes(src), reset, after.SliceBytes(src))
	}
}

// nonEmpty widens an empty range (a missing item's position) to one
// character, as hcl's writer does, so that it overlaps its line.
func nonEmpty(r hcl.Range) hcl.Range {
	if r.Empty() {
		r.End.Byte++
		r.End.Column++
	}
	return r
}

// enclosing names the top-level block around offset, like `runbook "x"`,
// as hcl's writer does.
func enclosing(file *hcl.File, offset int) string {
	if nav, ok := file.Nav.(interface{ ContextString(offset int) string }); ok {
		return nav.ContextString(offset)
	}
	return ""
}

// errWriter keeps the first write error, so that write can print freely
// and report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
