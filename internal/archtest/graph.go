package archtest

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Edge is one import between two of the module's production packages,
// by their paths relative to the module ("internal/cli", "workflows").
type Edge struct{ From, To string }

func (e Edge) String() string { return e.From + " --> " + e.To }

// mermaid is the edge as a Mermaid flowchart line: node IDs cannot hold
// slashes, so each node is an ID with its path as the label.
func (e Edge) mermaid() string {
	return fmt.Sprintf("%s[%q] --> %s[%q]", nodeID(e.From), e.From, nodeID(e.To), e.To)
}

func nodeID(path string) string {
	return strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(path)
}

// productionPackage reports whether a module-relative package path is
// shipped code: not a test helper, an end-to-end suite or an example.
func productionPackage(rel string) bool {
	for _, p := range []string{"internal/testutil", "internal/e2e", "internal/archtest", "internal/devserver/devservertest", "examples", "tools"} {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return false
		}
	}
	return true
}

// ReducedGraph is the transitive reduction of the import graph of the
// module's production packages: an edge a → b is kept only when a reaches
// b through no other path. It is the picture of the architecture without
// the edges every picture would imply anyway. The graph is a DAG (Go
// forbids import cycles), so the reduction is unique.
func ReducedGraph(mod string, pkgs map[string]*Package) []Edge {
	adj := map[string][]string{}
	prefix := mod + "/"
	for path, p := range pkgs {
		if !strings.HasPrefix(path, prefix) {
			continue
		}
		from := strings.TrimPrefix(path, prefix)
		if !productionPackage(from) {
			continue
		}
		if _, ok := adj[from]; !ok {
			adj[from] = nil // a node without edges still counts
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, prefix) {
				continue
			}
			to := strings.TrimPrefix(imp, prefix)
			if productionPackage(to) {
				adj[from] = append(adj[from], to)
			}
		}
	}
	var edges []Edge
	for from, tos := range adj {
		for _, to := range tos {
			if !reachableAvoiding(adj, from, to) {
				edges = append(edges, Edge{from, to})
			}
		}
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].From != edges[j].From {
			return edges[i].From < edges[j].From
		}
		return edges[i].To < edges[j].To
	})
	return edges
}

// reachableAvoiding reports whether to is reachable from from without the
// direct edge from → to.
func reachableAvoiding(adj map[string][]string, from, to string) bool {
	seen := map[string]bool{}
	var stack []string
	for _, n := range adj[from] {
		if n != to {
			stack = append(stack, n)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == to {
			return true
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, adj[n]...)
	}
	return false
}

// mermaidEdge matches one edge line of the Mermaid flowchart in
// docs/architecture.md: `  internal_cli["internal/cli"] --> workflows["workflows"]`.
var mermaidEdge = regexp.MustCompile(`^\s*\w+\["([^"]+)"\]\s*-->\s*\w+\["([^"]+)"\]\s*$`)

// DocumentedGraph reads the edges of the first ```mermaid block of a
// markdown document.
func DocumentedGraph(markdown string) ([]Edge, error) {
	start := strings.Index(markdown, "```mermaid\n")
	if start < 0 {
		return nil, fmt.Errorf("documented graph: no ```mermaid block")
	}
	body := markdown[start+len("```mermaid\n"):]
	end := strings.Index(body, "```")
	if end < 0 {
		return nil, fmt.Errorf("documented graph: unterminated ```mermaid block")
	}
	var edges []Edge
	for _, line := range strings.Split(body[:end], "\n") {
		if m := mermaidEdge.FindStringSubmatch(line); m != nil {
			edges = append(edges, Edge{m[1], m[2]})
		}
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i].String() < edges[j].String() })
	return slices.Compact(edges), nil
}

// Mermaid renders edges as the flowchart block docs/architecture.md holds.
func Mermaid(edges []Edge) string {
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart TD\n")
	for _, e := range edges {
		fmt.Fprintf(&b, "  %s\n", e.mermaid())
	}
	b.WriteString("```\n")
	return b.String()
}
