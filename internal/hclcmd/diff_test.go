package hclcmd

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// applyUnified applies a diff written by writeUnifiedDiff to old, so tests
// can check that every diff reconstructs the new text exactly.
func applyUnified(t *testing.T, old, diff string) string {
	t.Helper()
	src := splitLines(old)
	var out []string
	pos := 0
	lines := splitLines(diff)
	for i := 2; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "@@ -") {
			t.Fatalf("want hunk header, got %q", l)
		}
		oldRange := strings.Fields(l)[1][1:]
		start, _, _ := strings.Cut(oldRange, ",")
		n, err := strconv.Atoi(start)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(oldRange, ",0") {
			n--
		}
		out = append(out, src[pos:n]...)
		pos = n
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "@@ ") {
			i++
			l := lines[i]
			text := l[1:]
			if i+1 < len(lines) && lines[i+1] == "\\ No newline at end of file\n" {
				text = strings.TrimSuffix(text, "\n")
				i++
			}
			switch l[0] {
			case ' ':
				if src[pos] != text {
					t.Fatalf("context mismatch at %d: %q vs %q", pos, src[pos], text)
				}
				out = append(out, text)
				pos++
			case '-':
				if src[pos] != text {
					t.Fatalf("deletion mismatch at %d: %q vs %q", pos, src[pos], text)
				}
				pos++
			case '+':
				out = append(out, text)
			}
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, "")
}

func TestUnifiedDiffRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"a\n", "b\n", "c\n", "d\n", "e\n", "f"}
	gen := func() string {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(words[rng.IntN(len(words)-1)])
		}
		if rng.IntN(3) == 0 {
			b.WriteString(words[len(words)-1])
		}
		return b.String()
	}
	for i := range 2000 {
		old, new := gen(), gen()
		var buf bytes.Buffer
		if err := writeUnifiedDiff(&buf, "old", "new", old, new); err != nil {
			t.Fatal(err)
		}
		if old == new {
			if buf.Len() != 0 {
				t.Fatalf("diff of equal texts: %q", buf.String())
			}
			continue
		}
		if got := applyUnified(t, old, buf.String()); got != new {
			t.Fatalf("case %d: applying\n%s\nto %q gives %q, want %q", i, buf.String(), old, got, new)
		}
	}
}

func TestUnifiedDiffHunks(t *testing.T) {
	var old, new strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&old, "%d\n", i)
		switch i {
		case 2:
			new.WriteString("two\n")
		case 18:
		default:
			fmt.Fprintf(&new, "%d\n", i)
		}
	}
	var buf bytes.Buffer
	if err := writeUnifiedDiff(&buf, "a", "b", old.String(), new.String()); err != nil {
		t.Fatal(err)
	}
	want := "--- a\n+++ b\n" +
		"@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n" +
		"@@ -15,6 +15,5 @@\n 15\n 16\n 17\n-18\n 19\n 20\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
