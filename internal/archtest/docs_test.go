package archtest

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "redraw the package graph in docs/architecture.md")

// TestArchitectureDocMatchesCode: the package graph drawn in
// docs/architecture.md is the code's (its transitive reduction). A change
// that adds or removes an import edge between firebreak's packages fails
// here until the picture is redrawn with
// `go test ./internal/archtest/ -run ArchitectureDoc -update`.
func TestArchitectureDocMatchesCode(t *testing.T) {
	root, mod, pkgs := loadModule(t)
	doc := filepath.Join(root, "docs", "architecture.md")
	src, err := os.ReadFile(doc)
	require.NoError(t, err)
	if *update {
		src = []byte(redraw(t, string(src), Mermaid(ReducedGraph(mod, pkgs))))
		require.NoError(t, os.WriteFile(doc, src, 0o644))
	}
	documented, err := DocumentedGraph(string(src))
	require.NoError(t, err)
	actual := ReducedGraph(mod, pkgs)
	want := append([]Edge(nil), actual...)
	sort.Slice(want, func(i, j int) bool { return want[i].String() < want[j].String() })
	if !assert.Equal(t, edgeStrings(want), edgeStrings(documented), "docs/architecture.md's graph differs from the code") {
		t.Logf("the graph as the code has it:\n%s", Mermaid(actual))
	}
}

// redraw replaces the first ```mermaid block of markdown (or a line that
// says only GRAPH) with block.
func redraw(t *testing.T, markdown, block string) string {
	t.Helper()
	if i := strings.Index(markdown, "```mermaid\n"); i >= 0 {
		end := strings.Index(markdown[i+3:], "```")
		require.GreaterOrEqual(t, end, 0, "unterminated mermaid block")
		return markdown[:i] + block + markdown[i+3+end+4:]
	}
	require.Contains(t, markdown, "\nGRAPH\n", "no mermaid block and no GRAPH line to replace")
	return strings.Replace(markdown, "\nGRAPH\n", "\n"+block, 1)
}

func edgeStrings(es []Edge) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.String())
	}
	return out
}

func TestReducedGraph(t *testing.T) {
	const mod = "example.com/m"
	pkgs := fakePackagesMod(mod, map[string][]string{
		"a":                 {"b", "c"},
		"b":                 {"c"},
		"c":                 nil,
		"d":                 nil,
		"internal/testutil": {"a"},
		"examples/x":        {"a"},
	})
	assert.Equal(t, []string{"a --> b", "b --> c"}, edgeStrings(ReducedGraph(mod, pkgs)),
		"a → c is implied by a → b → c; test helpers and examples are not drawn")
}

func TestDocumentedGraph(t *testing.T) {
	doc := "# x\n\n" + Mermaid([]Edge{{"b", "c/d"}, {"a", "b"}, {"a", "b"}}) + "\n" + Mermaid([]Edge{{"z", "y"}})
	got, err := DocumentedGraph(doc)
	require.NoError(t, err)
	assert.Equal(t, []string{"a --> b", "b --> c/d"}, edgeStrings(got))
	_, err = DocumentedGraph("no picture")
	assert.Error(t, err)
}

func fakePackagesMod(mod string, imports map[string][]string) map[string]*Package {
	out := map[string]*Package{}
	for from, tos := range imports {
		p := &Package{ImportPath: mod + "/" + from}
		for _, to := range tos {
			p.Imports = append(p.Imports, mod+"/"+to)
		}
		out[p.ImportPath] = p
	}
	return out
}
