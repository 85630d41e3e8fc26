package cli

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// TestEngineOptions: the configuration's cluster and guardrails reach the
// engine, and no cluster means a nil client (the activities' "not
// configured"), never a typed nil.
func TestEngineOptions(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := "apiVersion: v1\nkind: Config\ncurrent-context: lab\nclusters:\n- name: lab\n  cluster:\n    server: https://lab.k8s.internal:6443\n" +
		"users:\n- name: u\n  user: {}\ncontexts:\n- name: lab\n  context:\n    cluster: lab\n    user: u\n"
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	src := `
kubernetes {
  kubeconfig = "kubeconfig"
}
guardrails {
  max_concurrent_remediations = 3
  storm {
    incidents = 8
    window    = "1m"
  }
}
worker {
  sticky_cache_size = 0
  activity_pollers  = 3
}
`
	cfg, diags := config.Parse(filepath.Join(dir, "firebreak.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	o, cluster, err := engineOptions(cfg, &runbooks.Set{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if o.Kube == nil || cluster == nil || cluster.Context != "lab" || cluster.Server != "https://lab.k8s.internal:6443" {
		t.Errorf("kube client %v, cluster %+v", o.Kube, cluster)
	}
	want := workflows.ControlSettings{MaxConcurrent: 3, StormThreshold: 8, StormWindow: time.Minute, StormQuiet: time.Minute, StormPageHold: 30 * time.Second}
	if o.Settings.Control != want {
		t.Errorf("Settings.Control = %+v, want %+v", o.Settings.Control, want)
	}
	// sticky_cache_size = 0 means no cache, which the engine spells
	// negative (its 0 is the SDK default).
	wantWorker := engine.WorkerTuning{StickyCacheSize: -1, MaxConcurrentWorkflowTasks: config.DefaultMaxConcurrentWorkflowTasks,
		MaxConcurrentActivities: config.DefaultMaxConcurrentActivities, WorkflowPollers: config.DefaultWorkflowPollers, ActivityPollers: 3}
	if o.Worker != wantWorker {
		t.Errorf("Worker = %+v, want %+v", o.Worker, wantWorker)
	}

	o, cluster, err = engineOptions(config.Default(), &runbooks.Set{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if o.Kube != nil || cluster != nil {
		t.Errorf("no kubernetes block: client %#v, cluster %+v", o.Kube, cluster)
	}
	if o.Settings.Control.MaxConcurrent != config.DefaultMaxConcurrent || o.Settings.Control.StormThreshold != config.DefaultStormIncidents {
		t.Errorf("default Settings.Control = %+v", o.Settings.Control)
	}
}
