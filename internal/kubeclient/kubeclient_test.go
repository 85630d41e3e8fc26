package kubeclient

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/config"
)

func TestRESTConfig(t *testing.T) {
	path := filepath.Join("testdata", "kubeconfig")
	for _, tt := range []struct {
		context, wantContext, wantServer string
	}{
		{"", "staging", "https://staging.k8s.internal:6443"},
		{"prod", "prod", "https://prod.k8s.internal:6443"},
	} {
		k := config.Kubernetes{Kubeconfig: path, Context: tt.context, QPS: 7.5, Burst: 15}
		rc, cl, err := RESTConfig(k)
		if err != nil {
			t.Fatal(err)
		}
		if cl != (Cluster{Context: tt.wantContext, Server: tt.wantServer}) {
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
	if _, _, err := RESTConfig(config.Kubernetes{InCluster: true, QPS: 1, Burst: 1}); err == nil || !strings.Contains(err.Error(), "in-cluster") {
		t.Errorf("in_cluster outside a pod: err = %v", err)
	}
}

// TestNew talks to a stand-in API server through a kubeconfig pointing at
// it: the client New builds from a parsed configuration is usable as it is.
func TestNew(t *testing.T) {
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
	cfg, diags := config.Parse(filepath.Join(dir, "firebreak.hcl"), []byte("kubernetes {\n  kubeconfig = \"kubeconfig\"\n}\n"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	client, cl, err := New(*cfg.Kubernetes)
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
