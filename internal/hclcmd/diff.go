package hclcmd

import (
	"fmt"
	"io"
	"strings"
)

// The module does not require a diff library directly, so fmt -diff uses
// this small line diff: an LCS over the lines that differ after trimming the
// common prefix and suffix, printed as a unified diff.

const diffContext = 3

// maxDiffCells bounds the LCS table; beyond it the changed region is shown
// as one replacement, which is still a correct diff.
const maxDiffCells = 16 << 20

type diffOp struct {
	kind byte   // ' ', '-' or '+'
	text string // the line, with its newline if it has one
	a, b int    // 0-based positions in old and new before this op
}

// splitLines splits s into lines that keep their "\n", so a missing final
// newline is a difference like any other.
func splitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

func diffLines(a, b []string) []diffOp {
	var ops []diffOp
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		ops = append(ops, diffOp{' ', a[pre], pre, pre})
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(ma), len(mb)
	i, j := 0, 0
	if n*m <= maxDiffCells {
		lcs := make([][]int32, n+1)
		for k := range lcs {
			lcs[k] = make([]int32, m+1)
		}
		for x := n - 1; x >= 0; x-- {
			for y := m - 1; y >= 0; y-- {
				if ma[x] == mb[y] {
					lcs[x][y] = lcs[x+1][y+1] + 1
				} else {
					lcs[x][y] = max(lcs[x+1][y], lcs[x][y+1])
				}
			}
		}
		for i < n && j < m {
			switch {
			case ma[i] == mb[j]:
				ops = append(ops, diffOp{' ', ma[i], pre + i, pre + j})
				i, j = i+1, j+1
			case lcs[i+1][j] >= lcs[i][j+1]:
				ops = append(ops, diffOp{'-', ma[i], pre + i, pre + j})
				i++
			default:
				ops = append(ops, diffOp{'+', mb[j], pre + i, pre + j})
				j++
			}
		}
	}
	for ; i < n; i++ {
		ops = append(ops, diffOp{'-', ma[i], pre + i, pre + j})
	}
	for ; j < m; j++ {
		ops = append(ops, diffOp{'+', mb[j], pre + n, pre + j})
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, diffOp{' ', a[len(a)-suf+k], len(a) - suf + k, len(b) - suf + k})
	}
	return ops
}

// writeUnifiedDiff prints the unified diff from old to new, or nothing when
// they are equal.
func writeUnifiedDiff(w io.Writer, oldName, newName, old, new string) error {
	ops := diffLines(splitLines(old), splitLines(new))
	var b strings.Builder
	for i := 0; i < len(ops); {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		if b.Len() == 0 {
			fmt.Fprintf(&b, "--- %s\n+++ %s\n", oldName, newName)
		}
		start, last := max(0, i-diffContext), i
		for j := i; j < len(ops); {
			if ops[j].kind != ' ' {
				last, j = j, j+1
				continue
			}
			k := j
			for k < len(ops) && ops[k].kind == ' ' {
				k++
			}
			if k == len(ops) || k-j > 2*diffContext {
				break
			}
			j = k
		}
		stop := min(len(ops), last+1+diffContext)
		hunk := ops[start:stop]
		var na, nb int
		for _, op := range hunk {
			if op.kind != '+' {
				na++
			}
			if op.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(hunk[0].a, na), hunkRange(hunk[0].b, nb))
		for _, op := range hunk {
			b.WriteByte(op.kind)
			b.WriteString(op.text)
			if !strings.HasSuffix(op.text, "\n") {
				b.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// hunkRange formats a hunk's start and length; an empty side names the line
// before it, as diff and patch expect.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
