// Package baddeploy_test checks the bad-deploy scenario's files: the runbook
// parses and decides as the README says, and Prometheus, Alertmanager and
// firebreak accept their configurations. The scenario itself runs end to
// end in internal/e2e (TestBadDeployRollsBack).
package baddeploy_test

import (
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/runbooks"
)

func loadRunbook(t *testing.T) (*runbooks.Set, *runbooks.Runbook) {
	t.Helper()
	set, _, diags := runbooks.LoadPaths("runbooks")
	for _, d := range diags {
		t.Logf("%s: %s: %s", d.Subject, d.Summary, d.Detail)
	}
	if diags.HasErrors() {
		t.Fatalf("load runbooks: %s", diags.Error())
	}
	rb := set.Get("bad-deploy")
	if rb == nil {
		t.Fatal("no runbook bad-deploy")
	}
	return set, rb
}

// rollout is a kubernetes_rollout diagnosis as the engine builds it.
func rollout(revision int64, age time.Duration, class string) runbooks.Diagnosis {
	return runbooks.Diagnosis{Found: true, Kube: &runbooks.KubeView{
		Class: class,
		Rollout: runbooks.KubeRolloutView{
			Revision: revision, Age: age, Images: []string{"registry.example/shop/checkout:1.5.0"},
			Desired: 3, Updated: 3, Ready: 3, Available: 3, Complete: true,
		},
		Pods: runbooks.KubePodsView{Total: 3, Ready: 3, TerminationReasons: map[string]int64{}, WaitingReasons: map[string]int64{}},
		Logs: runbooks.KubeLogsView{Matches: map[string]int64{"dependency": 0, "bad_config": 0}},
	}}
}

func ratio(v float64) runbooks.Diagnosis {
	return runbooks.Diagnosis{Value: v, Found: true, Series: []runbooks.Series{{Labels: map[string]string{}, Value: v}}}
}

func TestBadDeployRunbook(t *testing.T) {
	set, rb := loadRunbook(t)
	// The labels of the scenario's rule (prometheus/rules.yml).
	labels := map[string]string{"alertname": "ServiceHighErrorRate", "namespace": "shop", "service": "checkout", "severity": "page"}
	if set.Match(labels) != rb {
		t.Fatal("the scenario's alert does not match bad-deploy")
	}
	if got := strings.Join(rb.GroupBy, ","); got != "namespace,service" {
		t.Fatalf("group_by = %s", got)
	}
	g := rb.Guardrails
	if g.DryRun || g.MaxActions != 1 || g.Cooldown != 30*time.Minute || g.Window != 2*time.Hour {
		t.Fatalf("guardrails = %+v, want one real rollback per 2h, 30m cooldown", g)
	}
	rem := rb.Remediations[0]
	if rem.Name != "bad_deploy" || len(rem.Actions) != 1 || rem.Actions[0].Kind != runbooks.KindKubeRollback {
		t.Fatalf("remediation %s = %+v, want one kubernetes_rollback", rem.Name, rem.Actions)
	}
	// Restoring a rollback would re-deploy the broken revision.
	if rem.Verify == nil || rem.Verify.Rollback {
		t.Fatal("verify must exist and must not restore the rollback")
	}
	if !rem.Verify.Passes(0.001) || rem.Verify.Passes(0.4) {
		t.Fatal("verify should pass at 0.1% errors and fail at 40%")
	}

	base := runbooks.Alert{Status: "firing", Labels: labels}
	tests := []struct {
		name          string
		diag          map[string]runbooks.Diagnosis
		wantEscalate  bool
		wantRemediate bool
	}{
		{"fresh rollout, 40% errors: roll back",
			map[string]runbooks.Diagnosis{"rollout": rollout(2, 90*time.Second, "unknown"), "error_ratio": ratio(0.4)}, false, true},
		{"rollout an hour old: not a bad deploy",
			map[string]runbooks.Diagnosis{"rollout": rollout(2, time.Hour, "unknown"), "error_ratio": ratio(0.4)}, false, false},
		{"fresh rollout, few errors",
			map[string]runbooks.Diagnosis{"rollout": rollout(2, time.Minute, "unknown"), "error_ratio": ratio(0.05)}, false, false},
		{"first revision: nothing to roll back to",
			map[string]runbooks.Diagnosis{"rollout": rollout(1, time.Minute, "unknown"), "error_ratio": ratio(0.4)}, true, false},
		{"logs blame a dependency",
			map[string]runbooks.Diagnosis{"rollout": rollout(2, time.Minute, "dependency"), "error_ratio": ratio(0.4)}, true, false},
		{"logs blame the configuration",
			map[string]runbooks.Diagnosis{"rollout": rollout(2, time.Minute, "bad_config"), "error_ratio": ratio(0.4)}, true, false},
		{"workload unreadable",
			map[string]runbooks.Diagnosis{"rollout": {Error: "forbidden"}, "error_ratio": ratio(0.4)}, true, false},
		{"service not scraped",
			map[string]runbooks.Diagnosis{"rollout": rollout(2, time.Minute, "unknown"), "error_ratio": {}}, true, false},
		{"no traffic: 0/0",
			map[string]runbooks.Diagnosis{"rollout": rollout(2, time.Minute, "unknown"), "error_ratio": ratio(math.NaN())}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope := &runbooks.Scope{Alert: base, Diagnosis: tt.diag}
			esc, err := rb.ShouldEscalate(scope)
			if err != nil {
				t.Fatalf("escalate_when: %v", err)
			}
			if esc != tt.wantEscalate {
				t.Fatalf("escalate = %v, want %v", esc, tt.wantEscalate)
			}
			if esc {
				return
			}
			holds, err := rem.Holds(scope)
			if err != nil {
				t.Fatalf("when: %v", err)
			}
			if holds != tt.wantRemediate {
				t.Fatalf("remediate = %v, want %v", holds, tt.wantRemediate)
			}
		})
	}

	scope := &runbooks.Scope{Alert: base}
	spec, err := rem.Actions[0].Kube(scope)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Target.Key() != "kubernetes/deployment/shop/checkout" || spec.Wait != 2*time.Minute {
		t.Fatalf("action = %+v, want deployment shop/checkout with a 2m wait", spec)
	}
	q, err := rem.Verify.PromQuery(scope)
	if err != nil || !strings.Contains(q, `namespace="shop",service="checkout"`) {
		t.Fatalf("verify query %q (%v) does not select the alert's service", q, err)
	}
	// A hostile label never reaches the API: the target is refused.
	hostile := &runbooks.Scope{Alert: runbooks.Alert{Status: "firing", Labels: map[string]string{
		"alertname": "ServiceHighErrorRate", "namespace": "../kube-system", "service": "checkout"}}}
	if _, err := rem.Actions[0].Kube(hostile); err == nil {
		t.Fatal("namespace ../kube-system was accepted")
	}
}

// TestMonitoringConfigs runs Prometheus' and Alertmanager's own checkers
// when they are installed (scripts/install-deps.sh installs both).
func TestMonitoringConfigs(t *testing.T) {
	checks := [][]string{
		{"promtool", "check", "config", "prometheus/prometheus.yml"},
		{"amtool", "check-config", "prometheus/alertmanager.yml"},
	}
	for _, c := range checks {
		t.Run(c[0], func(t *testing.T) {
			if _, err := exec.LookPath(c[0]); err != nil {
				t.Skipf("%s not installed (scripts/install-deps.sh)", c[0])
			}
			out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(c, " "), err, out)
			}
		})
	}
}

// TestEngineConfig loads firebreak.hcl with the engine's own loader.
func TestEngineConfig(t *testing.T) {
	cfg, diags := config.Load("firebreak.hcl")
	if diags.HasErrors() {
		t.Fatalf("load firebreak.hcl: %s", diags.Error())
	}
	if cfg.Prometheus.URL != "http://127.0.0.1:19190" {
		t.Fatalf("prometheus url = %q, want the scenario's Prometheus", cfg.Prometheus.URL)
	}
}
