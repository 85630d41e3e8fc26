package config

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestKubernetesRESTConfig(t *testing.T) {
	path := filepath.Join("testdata", "kubeconfig")
	for _, tt := range []struct {
		context, wantContext, wantServer string
	}{
		{"", "staging", "https://staging.k8s.internal:6443"},
		{"prod", "prod", "https://prod.k8s.internal:6443"},
	} {
		k := &Kubernetes{Kubeconfig: path, Context: tt.context, QPS: 7.5, Burst: 15}
		rc, cl, err := k.RESTConfig()
		if err != nil {
			t.Fatal(err)
		}
		if cl != (KubeCluster{Context: tt.wantContext, Server: tt.wantServer}) {
			t.Errorf("context %q: cluster = %+v", tt.context, cl)
		}
		if rc.Host != tt.wantServer || rc.QPS != 7.5 || rc.Burst != 15 || rc.Timeout != 10*time.Second {
			t.Errorf("context %q: rest config host %s qps %v burst %d timeout %s", tt.context, rc.Host, rc.QPS, rc.Burst, rc.Timeout)
		}
		if s := cl.String(); !strings.Contains(s, tt.wantContext) || !strings.Contains(s, tt.wantServer) {
			t.Errorf("String() = %q", s)
		}
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, _, err := (&Kubernetes{InCluster: true, QPS: 1, Burst: 1}).RESTConfig(); err == nil || !strings.Contains(err.Error(), "in-cluster") {
		t.Errorf("in_cluster outside a pod: err = %v", err)
	}
}

// TestKubernetesClient talks to a stand-in API server through a kubeconfig
// pointing at it: the client Client builds is usable as it is.
func TestKubernetesClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		if ua := r.Header.Get("User-Agent"); ua != "firebreak" {
			t.Errorf("User-Agent = %q", ua)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	src := "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster:\n    server: " + srv.URL +
		"\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: u\n"
	if err := os.WriteFile(kc, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Parse(filepath.Join(dir, "firebreak.hcl"), []byte("kubernetes {\n  kubeconfig = \"kubeconfig\"\n}\n"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	client, cl, err := cfg.Kubernetes.Client()
	if err != nil {
		t.Fatal(err)
	}
	if cl.Server != srv.URL || cl.Context != "test" {
		t.Errorf("cluster = %+v", cl)
	}
	v, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2" {
		t.Errorf("server version = %+v", v)
	}
}
