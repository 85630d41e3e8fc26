// Package poolexhaustion_test checks the scenario's configuration files: the
// runbooks parse and decide as the README says, and Prometheus and
// Alertmanager accept their configs. A broken example is worse than none.
package poolexhaustion_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// loadRunbook loads every runbook under dir, fails on any error diagnostic,
// and returns the one called name.
func loadRunbook(t *testing.T, dir, name string) (*runbooks.Set, *runbooks.Runbook) {
	t.Helper()
	set, _, diags := runbooks.LoadPaths(dir)
	for _, d := range diags {
		t.Logf("%s: %s: %s", d.Subject, d.Summary, d.Detail)
	}
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", dir, diags.Error())
	}
	rb := set.Get(name)
	if rb == nil {
		t.Fatalf("load %s: no runbook %q", dir, name)
	}
	return set, rb
}

func TestPoolExhaustionRunbook(t *testing.T) {
	set, rb := loadRunbook(t, "runbooks", "pool-exhaustion")
	// The labels the scenario's rule produces (rules.yml): the alert name,
	// the service from the demo's series, and the rule's severity.
	alert := map[string]string{"alertname": "DemoHighErrorRate", "service": "demo", "severity": "page"}
	if got := set.Match(alert); got != rb {
		t.Fatalf("the scenario's alert matched %v, want pool-exhaustion", got)
	}
	if set.Match(map[string]string{"alertname": "HighErrorRate", "service": "checkout"}) != nil {
		t.Fatal("pool-exhaustion claims the dev default's HighErrorRate alert")
	}
	if rb.Guardrails.DryRun || rb.Guardrails.MaxActions != 2 {
		t.Fatalf("guardrails = %+v, want acting for real, at most 2 actions", rb.Guardrails)
	}

	base := runbooks.Alert{Status: "firing", Labels: alert}
	tests := []struct {
		name          string
		diag          map[string]runbooks.Diagnosis
		wantEscalate  bool
		wantRemediate bool
	}{
		{
			name: "pool exhausted: timeouts are the errors",
			diag: map[string]runbooks.Diagnosis{
				"error_ratio": {Value: 0.98, Found: true}, "errors": {Value: 390, Found: true},
				"timeouts": {Value: 385, Found: true}, "acquire_wait_p90": {Value: 0.5, Found: true},
			},
			wantRemediate: true,
		},
		{
			name: "database errors, not timeouts",
			diag: map[string]runbooks.Diagnosis{
				"error_ratio": {Value: 0.6, Found: true}, "errors": {Value: 200, Found: true},
				"timeouts": {Value: 10, Found: true}, "acquire_wait_p90": {Value: 0.001, Found: true},
			},
			wantEscalate: true,
		},
		{
			name: "demo not scraped",
			diag: map[string]runbooks.Diagnosis{
				"error_ratio": {}, "errors": {}, "timeouts": {}, "acquire_wait_p90": {},
			},
			wantEscalate: true,
		},
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
			holds, err := rb.Remediations[0].Holds(scope)
			if err != nil {
				t.Fatalf("when: %v", err)
			}
			if !esc && holds != tt.wantRemediate {
				t.Fatalf("remediate = %v, want %v", holds, tt.wantRemediate)
			}
		})
	}

	scope := &runbooks.Scope{Alert: base}
	for _, d := range rb.Diagnoses {
		q, _, _, err := d.PromQuery(scope)
		if err != nil {
			t.Fatalf("diagnose %s: %v", d.Name, err)
		}
		if !strings.Contains(q, `service="demo"`) {
			t.Errorf("diagnose %s query %q does not select service=\"demo\"", d.Name, q)
		}
	}
	rem := rb.Remediations[0]
	spec, err := rem.Actions[0].PoolSize(scope)
	if err != nil {
		t.Fatalf("action: %v", err)
	}
	if spec.AdminDSNSecret != "pgbouncer_admin" || spec.Database != "demo" {
		t.Fatalf("action = %+v, want secret pgbouncer_admin on database demo", spec)
	}
	// The scenario starts PgBouncer at 2; the first step must reach the
	// measured "no errors" size (12) and a second stops at max.
	if got := spec.Set.Apply(2, spec.Min, spec.Max); got != 12 {
		t.Errorf("pool 2 grows to %d, want 12", got)
	}
	if got := spec.Set.Apply(12, spec.Min, spec.Max); got != 20 {
		t.Errorf("pool 12 grows to %d, want 20 (max)", got)
	}
	if rem.Verify == nil || !rem.Verify.Passes(0.01) || rem.Verify.Passes(0.5) {
		t.Fatalf("verify should pass at a 1%% error ratio and fail at 50%%")
	}
}

func TestDevDefaultRunbooks(t *testing.T) {
	set, rb := loadRunbook(t, "../runbooks", "checkout-errors")
	// The labels of the acceptance fixture firing-single.json.
	labels := map[string]string{
		"alertname": "HighErrorRate", "instance": "127.0.0.1:19100", "job": "app",
		"runbook": "scale-checkout", "service": "checkout", "severity": "page",
	}
	if set.Match(labels) != rb {
		t.Fatal("the fixture alert does not match checkout-errors")
	}
	if !rb.Guardrails.DryRun {
		t.Fatal("the dev default runbook must be a dry run")
	}
	if strings.Join(rb.GroupBy, ",") != "alertname,service" {
		t.Fatalf("group_by = %v", rb.GroupBy)
	}
	// Without Prometheus every diagnosis fails and finds nothing: escalate.
	failed := runbooks.Diagnosis{Error: "prometheus not configured"}
	scope := &runbooks.Scope{
		Alert:     runbooks.Alert{Status: "firing", Labels: labels},
		Diagnosis: map[string]runbooks.Diagnosis{"error_ratio": failed, "pool_wait_p90": failed},
	}
	esc, err := rb.ShouldEscalate(scope)
	if err != nil || !esc {
		t.Fatalf("escalate without Prometheus = %v, %v; want true", esc, err)
	}
	spec, err := rb.Remediations[0].Actions[0].PoolSize(scope)
	if err != nil || spec.Database != "checkout" {
		t.Fatalf("action = %+v, %v; want database checkout", spec, err)
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
	if cfg.Prometheus.URL != "http://127.0.0.1:19090" {
		t.Fatalf("prometheus url = %q, want the scenario's Prometheus", cfg.Prometheus.URL)
	}
}
