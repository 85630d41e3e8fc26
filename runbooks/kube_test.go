package runbooks

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

const kubeFixture = "testdata/valid/kubernetes.hcl"

func TestParseKubernetes(t *testing.T) {
	rb := mustParse(t, kubeFixture)
	var targets []string
	for _, tg := range rb.Targets {
		targets = append(targets, tg.Name+"="+tg.Kind)
	}
	if got := strings.Join(targets, ","); got != "app=Deployment,cache=StatefulSet,cfg=ConfigMap" {
		t.Errorf("targets = %s", got)
	}
	if rb.Target("cfg") != rb.Targets[2] || rb.Target("nope") != nil {
		t.Errorf("Target lookup")
	}

	rollout := rb.Diagnosis("rollout")
	if rollout.Prometheus != nil || rollout.Kubernetes == nil {
		t.Fatalf("rollout diagnosis = %+v", rollout)
	}
	k := rollout.Kubernetes
	if k.TargetName != "app" || k.LogLines != 200 || k.LogBytes != 65536 || k.Since != 15*time.Minute || len(k.Classify) != 2 {
		t.Errorf("kubernetes_rollout = %+v", k)
	}
	if got := rollout.ClassNames(); !reflect.DeepEqual(got, []string{"bad_config", "connection_timeout"}) {
		t.Errorf("ClassNames = %v", got)
	}
	if c := rb.Diagnosis("cache").Kubernetes; c == nil || c.LogLines != 0 || c.Classify != nil || rb.Diagnosis("cache").ClassNames() != nil {
		t.Errorf("cache diagnosis = %+v", c)
	}
	if e := rb.Diagnosis("errors"); e.Kubernetes != nil || e.Prometheus == nil || e.ClassNames() != nil {
		t.Errorf("prometheus diagnosis = %+v", e)
	}

	type act struct {
		kind, target string
		restore      bool
	}
	var got []act
	for _, m := range rb.Remediations {
		for _, a := range m.Actions {
			got = append(got, act{a.Kind, a.TargetName(), a.CanRestore()})
		}
	}
	want := []act{
		{KindKubeRollback, "app", true},
		{KindKubeRestart, "cache", true},
		{KindKubeDeletePod, "app", false},
		{KindKubeSetEnv, "app", true},
		{KindKubePatchConfigMap, "cfg", true},
		{KindKubeScale, "app", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("actions = %+v\nwant %+v", got, want)
	}
	if v := rb.Remediations[0].Verify; v == nil || !v.Rollback {
		t.Errorf("bad_deploy verify = %+v", v)
	}
	if rb.Remediations[1].Verify != nil {
		t.Errorf("oom is not verified")
	}
	wantG := Guardrails{Cooldown: 30 * time.Minute, Window: time.Hour, MaxActions: 3, OnBusy: OnBusyWait, BusyTimeout: 5 * time.Minute}
	if rb.Guardrails != wantG {
		t.Errorf("guardrails = %+v, want %+v", rb.Guardrails, wantG)
	}
}

func TestTargetRef(t *testing.T) {
	r := TargetRef{Kind: TargetStatefulSet, Namespace: "shop", Name: "redis"}
	if r.Key() != "kubernetes/statefulset/shop/redis" || r.String() != "statefulset shop/redis" {
		t.Errorf("Key %q String %q", r.Key(), r.String())
	}
}

// resolveRunbook names a Deployment entirely from alert labels, so every
// hostile value reaches Resolve unchanged.
const resolveRunbook = `runbook "resolve" {
  match = ["a=\"b\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.name
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
  }
}`

func TestTargetResolve(t *testing.T) {
	rb, diags := Parse("resolve.hcl", []byte(resolveRunbook))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	app := rb.Target("app")
	long := strings.Repeat("a", 300)
	hostile := []string{"../x", "Upper", long, "a;b", "a\nb", "", "a/b", "a b", "%2e%2e"}
	for _, field := range []string{"namespace", "name"} {
		for _, v := range hostile {
			t.Run(field+"/"+v, func(t *testing.T) {
				labels := map[string]string{"namespace": "shop", "name": "checkout"}
				labels[field] = v
				if v == "" {
					delete(labels, field) // a missing label reads as ""
				}
				ref, err := app.Resolve(&Scope{Alert: Alert{Labels: labels}})
				if err == nil {
					t.Fatalf("Resolve = %+v, want refused", ref)
				}
				msg := err.Error()
				if want := "target app: " + field + " " + quoteShort(v) + " refused: "; !strings.HasPrefix(msg, want) {
					t.Errorf("error %q does not start with %q", msg, want)
				}
				if len(v) > maxShownValue && (strings.Contains(msg, long) || !strings.Contains(msg, `"…`)) {
					t.Errorf("long value not truncated: %q", msg)
				}
				// The diagnosis resolves the same target and refuses too,
				// before anything could reach the API.
				if _, err := rb.Diagnosis("rollout").KubeRollout(&Scope{Alert: Alert{Labels: labels}}); err == nil || !strings.Contains(err.Error(), "diagnose rollout: target app: "+field) {
					t.Errorf("KubeRollout err = %v", err)
				}
			})
		}
	}
	_, err := app.Resolve(&Scope{Alert: Alert{Labels: map[string]string{"namespace": "../etc", "name": "x"}}})
	if want := `target app: namespace "../etc" refused: a lowercase RFC 1123 label must consist of`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want %s...", err, want)
	}
	_, err = app.Resolve(&Scope{Alert: Alert{Labels: map[string]string{"namespace": "shop"}}})
	if want := `target app: name "" refused: empty (is the alert label missing?)`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	good := []struct{ ns, name string }{
		{"shop", "checkout"},
		{"a", "a.b-c.d"},
		{"prod-1", "0abc"},
		{strings.Repeat("a", 63), strings.Repeat("b", 253)},
	}
	for _, g := range good {
		ref, err := app.Resolve(&Scope{Alert: Alert{Labels: map[string]string{"namespace": g.ns, "name": g.name}}})
		if err != nil || ref != (TargetRef{Kind: TargetDeployment, Namespace: g.ns, Name: g.name}) {
			t.Errorf("Resolve(%q, %q) = %+v, %v", g.ns, g.name, ref, err)
		}
	}
}

func TestQuoteShort(t *testing.T) {
	if got := quoteShort("a\nb"); got != `"a\nb"` {
		t.Errorf("quoteShort = %s", got)
	}
	// Truncation counts runes, so a multi-byte character is never split.
	if got := quoteShort(strings.Repeat("é", 100)); got != `"`+strings.Repeat("é", 80)+`"… (200 bytes)` {
		t.Errorf("quoteShort = %s", got)
	}
}

func TestActionKube(t *testing.T) {
	rb := mustParse(t, kubeFixture)
	s := &Scope{
		Alert:     Alert{Labels: map[string]string{"namespace": "shop", "service": "checkout"}},
		Diagnosis: map[string]Diagnosis{"rollout": {Kube: &KubeView{Rollout: KubeRolloutView{Desired: 4}}}},
	}
	app := TargetRef{Kind: TargetDeployment, Namespace: "shop", Name: "checkout-api"}
	one, twentyFour := int64(1), int64(24)
	want := map[string]KubeActionSpec{
		"rollback":      {Target: app, Wait: 5 * time.Minute},
		"restart_cache": {Target: TargetRef{Kind: TargetStatefulSet, Namespace: "shop", Name: "redis"}},
		"kick":          {Target: app},
		"pool":          {Target: app, Container: "app", Name: "DB_POOL_SIZE", Value: "40", Wait: 5 * time.Minute},
		"config":        {Target: TargetRef{Kind: TargetConfigMap, Namespace: "shop", Name: "checkout-config"}, Key: "pool_size", Value: "40"},
		"scale_out":     {Target: app, Set: Amount{Op: '+', Value: 50, Percent: true}, Min: &one, Max: &twentyFour, Wait: 5 * time.Minute},
	}
	n := 0
	for _, m := range rb.Remediations {
		for _, a := range m.Actions {
			n++
			spec, err := a.Kube(s)
			if err != nil {
				t.Errorf("%s: %v", a.Name, err)
				continue
			}
			if !reflect.DeepEqual(spec, want[a.Name]) {
				t.Errorf("%s: Kube = %+v\nwant %+v", a.Name, spec, want[a.Name])
			}
		}
	}
	if n != len(want) {
		t.Errorf("%d actions, want %d", n, len(want))
	}
	if _, err := rb.Remediations[0].Actions[0].PoolSize(s); err == nil {
		t.Errorf("PoolSize on a kubernetes action succeeded")
	}
	pool := mustParse(t, "testdata/valid/pool-exhaustion.hcl").Remediations[0].Actions[0]
	if _, err := pool.Kube(s); err == nil || !strings.Contains(err.Error(), "not a kubernetes action") {
		t.Errorf("Kube on pgbouncer: %v", err)
	}
	if pool.TargetName() != "" || !pool.CanRestore() {
		t.Errorf("pgbouncer TargetName %q CanRestore %v", pool.TargetName(), pool.CanRestore())
	}
	// A hostile label is refused by Kube itself, before any API call.
	s.Alert.Labels["namespace"] = "../kube-system"
	if _, err := rb.Remediations[2].Actions[2].Kube(s); err == nil || !strings.Contains(err.Error(), `action scale_out: target app: namespace "../kube-system" refused`) {
		t.Errorf("hostile namespace: %v", err)
	}
}

func TestKubeValueRendering(t *testing.T) {
	src := `runbook "env" {
  match = ["a=\"b\""]
  target "app" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "checkout"
  }
  remediate "r" {
    action "env" {
      kubernetes_set_env {
        target = target.app
        name   = "NOTE"
        value  = "${alert.annotations.note}"
      }
    }
  }
}`
	rb, diags := Parse("env.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	a := rb.Remediations[0].Actions[0]
	// Values are not escaped: Kubernetes stores any string.
	hostile := "a\"b\n${x}; rm -rf /"
	spec, err := a.Kube(&Scope{Alert: Alert{Annotations: map[string]string{"note": hostile}}})
	if err != nil || spec.Value != hostile || spec.Container != "" {
		t.Errorf("Kube = %+v, %v", spec, err)
	}
	big := strings.Repeat("x", maxKubeValueBytes+1)
	if _, err := a.Kube(&Scope{Alert: Alert{Annotations: map[string]string{"note": big}}}); err == nil || !strings.Contains(err.Error(), "value refused: 32769 bytes") {
		t.Errorf("oversized value: %v", err)
	}
	if _, err := a.Kube(&Scope{Alert: Alert{Annotations: map[string]string{"note": big[1:]}}}); err != nil {
		t.Errorf("32 KiB value: %v", err)
	}
}

func TestKubeRollout(t *testing.T) {
	rb := mustParse(t, kubeFixture)
	s := &Scope{Alert: Alert{Labels: map[string]string{"namespace": "shop", "service": "checkout"}}}
	spec, err := rb.Diagnosis("rollout").KubeRollout(s)
	want := KubeDiagnoseSpec{
		Target:   TargetRef{Kind: TargetDeployment, Namespace: "shop", Name: "checkout-api"},
		LogLines: 200, LogBytes: 65536, Since: 15 * time.Minute,
		Classify: map[string]string{
			"connection_timeout": "(?i)(connection|dial) (timed out|timeout)",
			"bad_config":         "(?i)invalid configuration",
		},
	}
	if err != nil || !reflect.DeepEqual(spec, want) {
		t.Errorf("KubeRollout = %+v, %v\nwant %+v", spec, err, want)
	}
	spec.Classify["x"] = "y" // the spec is a copy
	if _, ok := rb.Diagnosis("rollout").Kubernetes.Classify["x"]; ok {
		t.Errorf("KubeRollout shares its classify map")
	}
	if _, err := rb.Diagnosis("errors").KubeRollout(s); err == nil {
		t.Errorf("KubeRollout on a prometheus diagnosis succeeded")
	}
	if _, _, _, err := rb.Diagnosis("rollout").PromQuery(s); err == nil {
		t.Errorf("PromQuery on a kubernetes diagnosis succeeded")
	}
}

// kubeConditions exercises every part of a kubernetes diagnosis in
// conditions.
const kubeConditions = `runbook "conditions" {
  match = ["a=\"b\""]
  target "app" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "checkout"
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
    classify = {
      bad_config = "invalid configuration"
      timeout    = "timed out"
    }
  }
  remediate "young" {
    when = diagnosis.rollout.rollout.age < duration("30m")
    action "a" {
      kubernetes_rollback { target = target.app }
    }
  }
  remediate "config" {
    when = diagnosis.rollout.class == "bad_config"
    action "a" {
      kubernetes_rollback { target = target.app }
    }
  }
  remediate "oom" {
    when = diagnosis.rollout.pods.termination_reasons["OOMKilled"] > 0
    action "a" {
      kubernetes_rollback { target = target.app }
    }
  }
  remediate "timeouts" {
    when = diagnosis.rollout.logs.matches["timeout"] > 10
    action "a" {
      kubernetes_rollback { target = target.app }
    }
  }
  remediate "crashloop" {
    when = diagnosis.rollout.pods.waiting_reasons["CrashLoopBackOff"] > 0 && lookup(diagnosis.rollout.pods.termination_reasons, "Evicted", 0) == 0
    action "a" {
      kubernetes_rollback { target = target.app }
    }
  }
  remediate "events" {
    when = length([for e in diagnosis.rollout.events : e if e.reason == "BackOff" && e.count > 2]) > 0
    action "a" {
      kubernetes_rollback { target = target.app }
    }
  }
  remediate "image" {
    when = contains(diagnosis.rollout.rollout.images, "shop/checkout:bad") && !diagnosis.rollout.rollout.complete && diagnosis.rollout.rollout.ready < diagnosis.rollout.rollout.desired
    action "a" {
      kubernetes_rollback { target = target.app }
    }
  }
  escalate_when = diagnosis.rollout.error != "" || !diagnosis.rollout.found
}`

func TestKubeConditions(t *testing.T) {
	rb, diags := Parse("conditions.hcl", []byte(kubeConditions))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	holds := func(t *testing.T, d Diagnosis) map[string]bool {
		t.Helper()
		s := &Scope{Diagnosis: map[string]Diagnosis{"rollout": d}}
		out := map[string]bool{}
		for _, m := range rb.Remediations {
			ok, err := m.Holds(s)
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			out[m.Name] = ok
		}
		esc, err := rb.ShouldEscalate(s)
		if err != nil {
			t.Fatal(err)
		}
		out["escalate"] = esc
		return out
	}
	tests := []struct {
		name string
		d    Diagnosis
		want []string // what holds
	}{
		// A failed read (Kube nil) still evaluates: zero values, class
		// "unknown", found false; the maps hold their well-known keys.
		{"read failed", Diagnosis{Error: "forbidden"}, []string{"young", "escalate"}},
		{"not run", Diagnosis{}, []string{"young", "escalate"}},
		{"old and healthy", Diagnosis{Kube: &KubeView{Class: ClassUnknown, Rollout: KubeRolloutView{Age: 2 * time.Hour, Complete: true}}}, nil},
		{"young", Diagnosis{Kube: &KubeView{Rollout: KubeRolloutView{Age: 10 * time.Minute, Complete: true}}}, []string{"young"}},
		{"bad config", Diagnosis{Kube: &KubeView{Class: "bad_config", Rollout: KubeRolloutView{Age: time.Hour, Complete: true}}}, []string{"config"}},
		{"oom", Diagnosis{Kube: &KubeView{Rollout: KubeRolloutView{Age: time.Hour, Complete: true}, Pods: KubePodsView{TerminationReasons: map[string]int64{"OOMKilled": 2}}}}, []string{"oom"}},
		{"timeouts", Diagnosis{Kube: &KubeView{Rollout: KubeRolloutView{Age: time.Hour, Complete: true}, Logs: KubeLogsView{Lines: 200, Matches: map[string]int64{"timeout": 11}}}}, []string{"timeouts"}},
		{"crashloop", Diagnosis{Kube: &KubeView{Rollout: KubeRolloutView{Age: time.Hour, Complete: true}, Pods: KubePodsView{WaitingReasons: map[string]int64{"CrashLoopBackOff": 1}}}}, []string{"crashloop"}},
		{"crashloop evicted", Diagnosis{Kube: &KubeView{Rollout: KubeRolloutView{Age: time.Hour, Complete: true}, Pods: KubePodsView{WaitingReasons: map[string]int64{"CrashLoopBackOff": 1}, TerminationReasons: map[string]int64{"Evicted": 1}}}}, nil},
		{"events", Diagnosis{Kube: &KubeView{Rollout: KubeRolloutView{Age: time.Hour, Complete: true}, Events: []KubeEventView{{Type: "Warning", Reason: "BackOff", Object: "Pod/x", Count: 3}}}}, []string{"events"}},
		{"bad image", Diagnosis{Kube: &KubeView{Rollout: KubeRolloutView{Age: time.Hour, Images: []string{"shop/checkout:bad"}, Desired: 3, Ready: 1}}}, []string{"image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := holds(t, tt.d)
			for name, ok := range got {
				if ok != slices.Contains(tt.want, name) {
					t.Errorf("%s holds = %v", name, ok)
				}
			}
		})
	}
}

// TestKubeDiagnosisTypeErrors: each diagnosis kind has its own type, so
// reading the other kind's attributes fails validation with a position.
func TestKubeDiagnosisTypeErrors(t *testing.T) {
	tests := []struct {
		cond, summary string
	}{
		{`diagnosis.rollout.value > 0`, "Unsupported diagnosis attribute"},
		{`diagnosis.rollout.series[0].value > 0`, "Unsupported diagnosis attribute"},
		{`diagnosis.errors.class == "x"`, "Unsupported diagnosis attribute"},
		{`diagnosis.errors.rollout.age > 0`, "Unsupported diagnosis attribute"},
		{`diagnosis.rollout.rollout.revison > 1`, "Unsupported diagnosis attribute"},
		{`diagnosis.rollout.events[0].reasn == "x"`, "Unsupported attribute"},
		{`diagnosis.rollout.pods.total.x > 1`, "Unsupported attribute"},
		{`diagnosis.rollout.rollout.images > 1`, "Invalid operand"},
		{`diagnosis.rollout.pods.termination_reasons`, "Invalid when value"},
		{`diagnosis.rollout.logs.matches["nope"] > 1`, "Unknown class"},
		{`target.app.name == "x"`, "Target reference not allowed here"},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			src := `runbook "types" {
  match = ["a=\"b\""]
  target "app" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "checkout"
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
  }
  diagnose "errors" {
    prometheus { query = "up" }
  }
  remediate "r" {
    when = ` + tt.cond + `
    action "a" {
      kubernetes_restart { target = target.app }
    }
  }
}`
			rb, diags := Parse("types.hcl", []byte(src))
			if rb != nil || len(diags) != 1 || !strings.Contains(diags[0].Summary, tt.summary) || diags[0].Subject.Start.Line != 15 || diags[0].Context == nil {
				t.Errorf("want one %q error on line 15, got %s", tt.summary, formatDiags(diags))
			}
		})
	}
}

func TestKubeWarnings(t *testing.T) {
	tests := []struct {
		name, body, summary string
		line                int
	}{
		{"unused target", `target "spare" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "spare"
  }`, "Unused target", 8},
		{"busy_timeout without wait", `guardrails {
    on_busy      = "escalate"
    busy_timeout = "5m"
  }`, "busy_timeout has no effect", 10},
		{"reason may be missing", `escalate_when = diagnosis.rollout.pods.termination_reasons["Evicted"] > 0`, "Reason may be missing", 8},
		{"absolute replicas clamped", `remediate "r" {
    action "a" {
      kubernetes_scale {
        target = target.app
        set    = "30"
        max    = 24
      }
    }
  }`, "Amount outside bounds", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `runbook "w" {
  match = ["a=\"b\""]
  target "app" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "checkout"
  }
  ` + tt.body + `
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
  }
}`
			rb, diags := Parse("w.hcl", []byte(src))
			if rb == nil || len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || diags[0].Summary != tt.summary || diags[0].Subject.Start.Line != tt.line {
				t.Errorf("want one %q warning on line %d, got %s", tt.summary, tt.line, formatDiags(diags))
			}
		})
	}
}

// TestKubeParseErrors covers the rules the invalid fixtures do not.
func TestKubeParseErrors(t *testing.T) {
	tests := []struct {
		name, body, summary string
	}{
		{"kind", `target "x" {
    kind      = "Pod"
    namespace = "shop"
    name      = "x"
  }`, "Invalid target kind"},
		{"literal name", `target "x" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "a;b"
  }`, "Invalid target name"},
		{"name sees diagnosis", `target "x" {
    kind      = "Deployment"
    namespace = "shop"
    name      = diagnosis.rollout.class
  }`, "Diagnosis not available here"},
		{"duplicate target", `target "app" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "x"
  }`, "Duplicate target block"},
		{"reference not a traversal", `remediate "r" {
    action "a" {
      kubernetes_restart { target = "app" }
    }
  }`, "Invalid target reference"},
		{"reference to alert", `remediate "r" {
    action "a" {
      kubernetes_restart { target = alert.labels.app }
    }
  }`, "Invalid target reference"},
		{"delete_pod on configmap", `target "cfg" {
    kind      = "ConfigMap"
    namespace = "shop"
    name      = "x"
  }
  remediate "r" {
    action "a" {
      kubernetes_delete_pod { target = target.cfg }
    }
  }`, "Wrong target kind"},
		{"rollout of a configmap", `target "cfg" {
    kind      = "ConfigMap"
    namespace = "shop"
    name      = "x"
  }
  diagnose "c" {
    kubernetes_rollout { target = target.cfg }
  }`, "Wrong target kind"},
		{"wait too long", `remediate "r" {
    action "a" {
      kubernetes_restart {
        target = target.app
        wait   = "2h"
      }
    }
  }`, "Invalid duration"},
		{"wait too short", `remediate "r" {
    action "a" {
      kubernetes_scale {
        target = target.app
        set    = "3"
        wait   = "500ms"
      }
    }
  }`, "Invalid duration"},
		{"wait on delete_pod", `remediate "r" {
    action "a" {
      kubernetes_delete_pod {
        target = target.app
        wait   = "1m"
      }
    }
  }`, "Unsupported argument"},
		{"absolute replicas over limit", `remediate "r" {
    action "a" {
      kubernetes_scale {
        target = target.app
        set    = "10001"
      }
    }
  }`, "Invalid amount"},
		{"bad container", `remediate "r" {
    action "a" {
      kubernetes_set_env {
        target    = target.app
        container = "App"
        name      = "X"
        value     = "1"
      }
    }
  }`, "Invalid container name"},
		{"bad configmap key", `target "cfg" {
    kind      = "ConfigMap"
    namespace = "shop"
    name      = "x"
  }
  remediate "r" {
    action "a" {
      kubernetes_patch_configmap {
        target = target.cfg
        key    = "a/b"
        value  = "1"
      }
    }
  }`, "Invalid ConfigMap key"},
		{"value too large", `remediate "r" {
    action "a" {
      kubernetes_set_env {
        target = target.app
        name   = "X"
        value  = "` + strings.Repeat("x", maxKubeValueBytes+1) + `"
      }
    }
  }`, "Value too large"},
		{"value with secret", `remediate "r" {
    action "a" {
      kubernetes_set_env {
        target = target.app
        name   = "X"
        value  = secret("db")
      }
    }
  }`, "secret() is not allowed here"},
		{"log_lines", `diagnose "d" {
    kubernetes_rollout {
      target    = target.app
      log_lines = 5001
    }
  }`, "Invalid log_lines"},
		{"log_bytes", `diagnose "d" {
    kubernetes_rollout {
      target    = target.app
      log_bytes = 0
    }
  }`, "Invalid log_bytes"},
		{"reserved class", `diagnose "d" {
    kubernetes_rollout { target = target.app }
    classify = { unknown = "x" }
  }`, "Reserved class name"},
		{"class name", `diagnose "d" {
    kubernetes_rollout { target = target.app }
    classify = { Timeout = "x" }
  }`, "Invalid class name"},
		{"classify not a map", `diagnose "d" {
    kubernetes_rollout { target = target.app }
    classify = ["x"]
  }`, "Invalid classify"},
		{"too many classes", `diagnose "d" {
    kubernetes_rollout { target = target.app }
    classify = {` + manyClasses(51) + `}
  }`, "Too many classes"},
		{"busy_timeout", `guardrails { busy_timeout = "0s" }`, "Invalid duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `runbook "e" {
  match = ["a=\"b\""]
  target "app" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "checkout"
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
  }
  ` + tt.body + `
}`
			rb, diags := Parse("e.hcl", []byte(src))
			if rb != nil || !diags.HasErrors() {
				t.Fatalf("accepted: %s", formatDiags(diags))
			}
			found := false
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Summary == tt.summary && d.Subject != nil && d.Subject.Start.Line > 10 {
					found = true
				}
			}
			if !found {
				t.Errorf("want %q after line 10, got %s", tt.summary, formatDiags(diags))
			}
		})
	}
}

func manyClasses(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("\n      c" + strings.Repeat("x", i) + ` = "x"`)
	}
	return b.String() + "\n    "
}
