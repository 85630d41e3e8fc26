package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKubernetesBlock(t *testing.T) {
	kubeconfig, err := filepath.Abs(filepath.Join("testdata", "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src string
		want      *Kubernetes
	}{
		{"absent", "", nil},
		{"relative path, current context", "kubernetes {\n  kubeconfig = \"kubeconfig\"\n}\n",
			&Kubernetes{Kubeconfig: kubeconfig, QPS: 20, Burst: 40}},
		{"home directory", "kubernetes {\n  kubeconfig = \"~/.kube/config\"\n  context = \"prod\"\n}\n",
			&Kubernetes{Kubeconfig: filepath.Join(home, ".kube", "config"), Context: "prod", QPS: 20, Burst: 40}},
		{"in cluster", "kubernetes {\n  in_cluster = true\n  qps = 50\n  burst = 100\n}\n",
			&Kubernetes{InCluster: true, QPS: 50, Burst: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The file sits beside testdata/kubeconfig, so relative paths
			// resolve there, whatever the working directory.
			cfg, diags := Parse(filepath.Join(filepath.Dir(kubeconfig), "firebreak.hcl"), []byte(tt.src))
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			switch {
			case tt.want == nil && cfg.Kubernetes != nil:
				t.Errorf("got %+v, want no cluster", *cfg.Kubernetes)
			case tt.want != nil && (cfg.Kubernetes == nil || *cfg.Kubernetes != *tt.want):
				t.Errorf("got %+v, want %+v", cfg.Kubernetes, *tt.want)
			}
		})
	}
}

// TestReadKubeconfig: the kubeconfig reader takes exactly the keys
// client-go does and refuses what it refuses (internal/kubeclient holds the
// two to each other over more files).
func TestReadKubeconfig(t *testing.T) {
	tests := []struct {
		name, src string
		current   string
		contexts  []string
		err       string // substring of the error; "" for none
	}{
		{name: "empty file", src: ""},
		{name: "two contexts", src: "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n- name: b\n",
			current: "a", contexts: []string{"a", "b"}},
		{name: "json", src: `{"current-context":"a","contexts":[{"name":"a"}]}`, current: "a", contexts: []string{"a"}},
		{name: "keys in another case", src: "Current-Context: a\ncontexts:\n- Name: a\n", contexts: []string{""}},
		{name: "bad yaml", src: "contexts: [\n", err: "yaml: line 1: did not find expected node content"},
		{name: "another kind", src: "apiVersion: apps/v1\nkind: Deployment\n", err: `no kind "Deployment" is registered for version "apps/v1"`},
		{name: "another version", src: "apiVersion: v2\n", err: `no kind "Config" is registered for version "v2"`},
		{name: "not a mapping", src: "- a\n", err: "not a kubeconfig: json: cannot unmarshal array"},
		{name: "current-context a number", src: "current-context: 5\n", err: "current-context: json: cannot unmarshal number"},
		{name: "context name a list", src: "contexts:\n- name: [a]\n", err: "contexts[0]: name: json: cannot unmarshal array"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(path, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			kc, err := readKubeconfig(path)
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if kc.currentContext != tt.current || len(kc.contexts) != len(tt.contexts) {
				t.Errorf("current-context %q, contexts %v", kc.currentContext, kc.contexts)
			}
			for _, c := range tt.contexts {
				if !kc.contexts[c] {
					t.Errorf("context %q missing from %v", c, kc.contexts)
				}
			}
		})
	}
	if _, err := readKubeconfig(filepath.Join(dir, "absent")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent file: err = %v", err)
	}
}
