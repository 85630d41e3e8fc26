package kubeclient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/firebreak-dev/firebreak/internal/config"
)

// TestConfigAgreesWithClientcmd holds internal/config's own kubeconfig
// reader, which links no client-go, to clientcmd.LoadFromFile: for each
// file and context, validation reports "Cannot read kubeconfig" exactly
// when clientcmd cannot load the file, and otherwise the context verdict
// clientcmd's result implies.
func TestConfigAgreesWithClientcmd(t *testing.T) {
	files := []struct {
		name, src string
		// clientOnly: clientcmd refuses the file for a part validation
		// does not read (clusters, users); the client builder reports it.
		clientOnly bool
	}{
		{name: "empty", src: ""},
		{name: "blank lines", src: "\n\n"},
		{name: "comment only", src: "# nothing\n"},
		{name: "null", src: "null\n"},
		{name: "two contexts", src: "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n- name: b\n"},
		{name: "no version or kind", src: "current-context: a\ncontexts:\n- name: a\n"},
		{name: "json", src: `{"apiVersion":"v1","kind":"Config","current-context":"a","contexts":[{"name":"a","context":{}}]}`},
		{name: "unknown keys", src: "apiVersion: v1\nkind: Config\nfoo: bar\ncurrent-context: a\ncontexts:\n- name: a\n  bogus: 1\n"},
		{name: "keys differ in case", src: "apiVersion: v1\nkind: Config\nCurrent-Context: a\ncontexts:\n- Name: a\n"},
		{name: "unnamed context", src: "apiVersion: v1\nkind: Config\ncontexts:\n- context: {}\n"},
		{name: "null context", src: "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: null\n"},
		{name: "current-context names none", src: "apiVersion: v1\nkind: Config\ncurrent-context: z\ncontexts:\n- name: a\n"},
		{name: "bad yaml", src: "contexts: [\n"},
		{name: "bad indentation", src: "a: b\n c: d\n"},
		{name: "tab", src: "apiVersion: v1\n\tkind: Config\n"},
		{name: "version v2", src: "apiVersion: v2\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n"},
		{name: "kind Deployment", src: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"},
		{name: "kind Foo", src: "apiVersion: v1\nkind: Foo\ncurrent-context: a\ncontexts:\n- name: a\n"},
		{name: "a list", src: "- a\n"},
		{name: "a scalar", src: "hello\n"},
		{name: "contexts a string", src: "apiVersion: v1\nkind: Config\ncontexts: hello\n"},
		{name: "current-context a number", src: "apiVersion: v1\nkind: Config\ncurrent-context: 5\ncontexts:\n- name: \"5\"\n"},
		{name: "context name a list", src: "apiVersion: v1\nkind: Config\ncontexts:\n- name: [a]\n"},
		{name: "clusters a number", src: "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\nclusters: 5\n", clientOnly: true},
		{name: "context cluster a list", src: "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: [1]}\n", clientOnly: true},
	}
	dir := t.TempDir()
	for i, f := range files {
		path := filepath.Join(dir, "kubeconfig-"+string(rune('a'+i)))
		if err := os.WriteFile(path, []byte(f.src), 0o600); err != nil {
			t.Fatal(err)
		}
		kc, loadErr := clientcmd.LoadFromFile(path)
		for _, context := range []string{"", "a", "b"} {
			t.Run(f.name+"/context="+context, func(t *testing.T) {
				src := "kubernetes {\n  kubeconfig = \"" + filepath.Base(path) + "\"\n"
				if context != "" {
					src += "  context = \"" + context + "\"\n"
				}
				src += "}\n"
				_, diags := config.Parse(filepath.Join(dir, "firebreak.hcl"), []byte(src))
				got := summary(diags)
				if f.clientOnly {
					// Validation judges only the contexts; New reports the rest.
					if loadErr == nil || got == "Cannot read kubeconfig" {
						t.Errorf("clientcmd err %v; validation says %q", loadErr, got)
					}
					return
				}
				want := ""
				switch {
				case loadErr != nil:
					want = "Cannot read kubeconfig"
				case context == "" && kc.CurrentContext == "":
					want = "No kubeconfig context"
				case context == "" && kc.Contexts[kc.CurrentContext] == nil:
					want = "Unknown kubeconfig context"
				case context != "" && kc.Contexts[context] == nil:
					want = "Unknown kubeconfig context"
				}
				if got != want {
					t.Errorf("validation says %q, clientcmd (err %v) implies %q\n%s", got, loadErr, want, diags.Error())
				}
				// YAML syntax errors come from the same converter, word for word.
				if loadErr != nil && strings.HasPrefix(loadErr.Error(), "yaml: ") && !strings.Contains(diags.Error(), loadErr.Error()) {
					t.Errorf("diagnostic %q does not carry clientcmd's %q", diags.Error(), loadErr)
				}
			})
		}
	}
}

// summary is the summary of the one error in diags, or "" with none.
func summary(diags hcl.Diagnostics) string {
	var s []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			s = append(s, d.Summary)
		}
	}
	return strings.Join(s, "; ")
}
