package runbooks

import (
	"math"
	"os"
	"strings"
	"testing"
)

func mustParse(t testing.TB, path string) *Runbook {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rb, diags := Parse(path, src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return rb
}

func TestPromQueryEscaping(t *testing.T) {
	rb := mustParse(t, "testdata/valid/pool-exhaustion.hcl")
	tests := []struct {
		name, db, want string
	}{
		{"plain", "demo", `max(pgbouncer_pools_client_waiting_connections{database="demo"})`},
		{"injection", `a"} or vector(1) #`, `max(pgbouncer_pools_client_waiting_connections{database="a\"} or vector(1) #"})`},
		{"newline", "a\nb", `max(pgbouncer_pools_client_waiting_connections{database="a\nb"})`},
		{"backslash", `a\"b`, `max(pgbouncer_pools_client_waiting_connections{database="a\\\"b"})`},
		{"missing label", "", `max(pgbouncer_pools_client_waiting_connections{database=""})`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := map[string]string{"service": "demo"}
			if tt.db != "" {
				ls["db"] = tt.db
			}
			q, rng, step, err := rb.Diagnoses[0].PromQuery(&Scope{Alert: Alert{Labels: ls}})
			if err != nil {
				t.Fatal(err)
			}
			if q != tt.want || rng != 0 || step != 0 {
				t.Errorf("got %q %v %v, want %q", q, rng, step, tt.want)
			}
		})
	}
}

func TestVerifyPromQueryEscaping(t *testing.T) {
	rb := mustParse(t, "testdata/valid/pool-exhaustion.hcl")
	q, err := rb.Remediations[0].Verify.PromQuery(&Scope{Alert: Alert{Labels: map[string]string{"service": `x"}[1m])) or vector(0) #`}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `sum(rate(demo_requests_total{code="500",service="x\"}[1m])) or vector(0) #"}[10s]))`
	if q != want {
		t.Errorf("got %s\nwant %s", q, want)
	}
}

func TestConditions(t *testing.T) {
	rb := mustParse(t, "testdata/valid/pool-exhaustion.hcl")
	tests := []struct {
		name         string
		diag         map[string]Diagnosis
		escalate     bool
		growHolds    bool
		wantEvalFail bool
	}{
		{"nothing known", nil, false, false, false},
		{"waiting", map[string]Diagnosis{"waiting": {Value: 3, Found: true}}, false, true, false},
		{"query failed", map[string]Diagnosis{"waiting": {Error: "timeout"}}, true, false, false},
		{"storm", map[string]Diagnosis{"errors": {Value: 5000, Found: true}}, true, false, false},
		{"nan", map[string]Diagnosis{"waiting": {Value: math.NaN(), Found: true}}, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Scope{Alert: Alert{Status: "firing"}, Diagnosis: tt.diag}
			esc, err := rb.ShouldEscalate(s)
			if err != nil || esc != tt.escalate {
				t.Errorf("ShouldEscalate = %v, %v; want %v", esc, err, tt.escalate)
			}
			holds, err := rb.Remediations[0].Holds(s)
			if (err != nil) != tt.wantEvalFail || holds != tt.growHolds {
				t.Errorf("Holds = %v, %v; want %v (error %v)", holds, err, tt.growHolds, tt.wantEvalFail)
			}
			if ok, err := rb.Remediations[1].Holds(s); !ok || err != nil {
				t.Errorf("remediation without when: %v, %v", ok, err)
			}
		})
	}
}

func TestFunctionsAndMissingLabels(t *testing.T) {
	rb := mustParse(t, "testdata/valid/functions.hcl")
	s := &Scope{
		Alert: Alert{Status: "firing", Labels: map[string]string{"app": "API", "db": "my-db"}},
		Diagnosis: map[string]Diagnosis{
			"age": {Value: 60, Found: true, Series: []Series{{Labels: map[string]string{"app": "api"}, Value: 60}}},
		},
	}
	if esc, err := rb.ShouldEscalate(s); err != nil || esc {
		t.Errorf("ShouldEscalate without severity = %v, %v", esc, err)
	}
	s.Alert.Labels["severity"] = "page"
	if esc, err := rb.ShouldEscalate(s); err != nil || !esc {
		t.Errorf("ShouldEscalate with severity=page = %v, %v", esc, err)
	}
	if ok, err := rb.Remediations[0].Holds(s); err != nil || !ok {
		t.Errorf("Holds = %v, %v", ok, err)
	}
	q, _, _, err := rb.Diagnoses[0].PromQuery(s)
	if err != nil || q != `time() - max(deploy_timestamp_seconds{app="api"})` {
		t.Errorf("PromQuery = %q, %v", q, err)
	}
	spec, err := rb.Remediations[0].Actions[0].PoolSize(s)
	if err != nil || spec.Database != "my_db" || spec.AdminDSNSecret != "pgbouncer_admin" || spec.Set.String() != "-20%" || *spec.Min != 5 || spec.Max != nil {
		t.Errorf("PoolSize = %+v, %v", spec, err)
	}
}

func TestPoolSizeRefusesHostileDatabase(t *testing.T) {
	rb := mustParse(t, "testdata/valid/pool-exhaustion.hcl")
	a := rb.Remediations[0].Actions[0]
	for _, db := range []string{"", "demo; SHUTDOWN", `a"b`, "x\ny", strings.Repeat("a", 64), "1demo"} {
		_, err := a.PoolSize(&Scope{Alert: Alert{Labels: map[string]string{"db": db}}})
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("database %q: err = %v, want refused", db, err)
		}
	}
	spec, err := a.PoolSize(&Scope{Alert: Alert{Labels: map[string]string{"db": "demo_2.x-y"}}})
	if err != nil || spec.Database != "demo_2.x-y" || spec.Set != (Amount{Op: '+', Value: 50, Percent: true}) || *spec.Max != 400 {
		t.Errorf("PoolSize = %+v, %v", spec, err)
	}
}

func TestVerifyPasses(t *testing.T) {
	below, above := 0.05, 10.0
	tests := []struct {
		v     Verify
		value float64
		want  bool
	}{
		{Verify{Below: &below}, 0.01, true},
		{Verify{Below: &below}, 0.05, false},
		{Verify{Below: &below}, math.NaN(), false},
		{Verify{Above: &above}, 11, true},
		{Verify{Above: &above}, 10, false},
		{Verify{Above: &above}, math.Inf(1), true},
	}
	for _, tt := range tests {
		if got := tt.v.Passes(tt.value); got != tt.want {
			t.Errorf("Passes(%v) with below=%v above=%v = %v", tt.value, tt.v.Below, tt.v.Above, got)
		}
	}
}

func TestIncidentKey(t *testing.T) {
	grouped := &Runbook{GroupBy: []string{"service", "db"}}
	tests := []struct {
		rb     *Runbook
		labels map[string]string
		want   string
	}{
		{&Runbook{}, map[string]string{"service": "a"}, "fingerprint=abc123"},
		{grouped, map[string]string{"db": "main", "service": "api", "pod": "x"}, "service=api,db=main"},
		{grouped, map[string]string{"service": "api"}, "service=api,db="},
		{grouped, map[string]string{"service": "a,db=b", "db": ""}, `service=a\,db\=b,db=`},
	}
	for _, tt := range tests {
		if got := tt.rb.IncidentKey(tt.labels, "abc123"); got != tt.want {
			t.Errorf("IncidentKey(%v) = %q, want %q", tt.labels, got, tt.want)
		}
	}
}

func TestSecretNames(t *testing.T) {
	for _, name := range []string{"../etc/passwd", "", "a/b", ".hidden", "Admin", "pg-admin"} {
		src := `runbook "s" {
  match = ["a=\"b\""]
  remediate "r" {
    action "a" {
      pgbouncer_pool_size {
        admin_dsn = secret("` + name + `")
        database  = "d"
        set       = "4"
      }
    }
  }
}`
		if _, diags := Parse("s.hcl", []byte(src)); !diags.HasErrors() || diags[0].Subject.Start.Line != 6 {
			t.Errorf("secret(%q) accepted: %v", name, diags)
		}
	}
}

func TestAmount(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	tests := []struct {
		amount   string
		current  int64
		min, max *int64
		want     int64
	}{
		{"+50%", 2, nil, i(400), 3},
		{"+500%", 2, nil, i(20), 12},
		{"+500%", 12, nil, i(20), 20},
		{"+10%", 1, nil, i(100), 2},
		{"+10%", 10, nil, i(100), 11},
		{"+0.1%", 1000, nil, i(2000), 1001},
		{"+10", 5, nil, i(12), 12},
		{"-20%", 10, i(1), nil, 8},
		{"-20%", 9, i(1), nil, 7},
		{"-20%", 2, i(2), nil, 2},
		{"-5", 3, i(0), nil, 0},
		{"-5", 3, nil, nil, 0},
		{"40", 10, nil, nil, 40},
		{"40", 10, i(1), i(30), 30},
		{"4", 10, i(5), nil, 5},
		{"+50%", 0, nil, i(10), 0},
	}
	for _, tt := range tests {
		a, err := ParseAmount(tt.amount)
		if err != nil {
			t.Fatalf("ParseAmount(%q): %v", tt.amount, err)
		}
		if got := a.Apply(tt.current, tt.min, tt.max); got != tt.want {
			t.Errorf("%q.Apply(%d) = %d, want %d", tt.amount, tt.current, got, tt.want)
		}
		if a.String() != tt.amount {
			t.Errorf("String() = %q, want %q", a.String(), tt.amount)
		}
	}
}

func TestParseAmountErrors(t *testing.T) {
	for _, s := range []string{"", "+", "50%", "abc", "+-5", "1.5", "+1.5", "+ 5", "NaN", "+Inf%", "1e300", "++5"} {
		if a, err := ParseAmount(s); err == nil {
			t.Errorf("ParseAmount(%q) = %+v, want error", s, a)
		}
	}
	if a, err := ParseAmount(" +12.5% "); err != nil || a != (Amount{Op: '+', Value: 12.5, Percent: true}) {
		t.Errorf("ParseAmount(+12.5%%) = %+v, %v", a, err)
	}
}

func TestTemplateForms(t *testing.T) {
	src := `runbook "forms" {
  match = ["a=\"b\""]
  diagnose "heredoc" {
    prometheus {
      query = <<-EOT
        up{job="${alert.labels.job}"}
      EOT
    }
  }
  diagnose "directive" {
    prometheus {
      query = "up%{ if alert.labels.job != "" }{job=\"${alert.labels.job}\"}%{ endif }"
    }
  }
  diagnose "ternary" {
    prometheus {
      query = "up{job=\"${alert.labels.job == "" ? "a\"b" : alert.labels.job}\"}"
    }
  }
  diagnose "wrapped" {
    prometheus {
      query = "${alert.labels.job}"
    }
  }
}`
	rb, diags := Parse("forms.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := &Scope{Alert: Alert{Labels: map[string]string{"job": `x"y`}}}
	want := map[string]string{
		"heredoc":   "up{job=\"x\\\"y\"}\n",
		"directive": `up{job="x\"y"}`,
		"ternary":   `up{job="x\"y"}`,
	}
	// A label value as the whole query is outside any string: refused.
	if q, _, _, err := rb.Diagnosis("wrapped").PromQuery(s); err == nil {
		t.Errorf("wrapped: %q accepted, want a refusal", q)
	}
	for name, w := range want {
		q, _, _, err := rb.Diagnosis(name).PromQuery(s)
		if err != nil || q != w {
			t.Errorf("%s: got %q, %v; want %q", name, q, err, w)
		}
	}
	if q, _, _, _ := rb.Diagnosis("directive").PromQuery(&Scope{}); q != "up" {
		t.Errorf("directive without label: %q", q)
	}
	// A literal branch is text written in the runbook: kept as written.
	if q, _, _, _ := rb.Diagnosis("ternary").PromQuery(&Scope{}); q != `up{job="a"b"}` {
		t.Errorf("ternary literal branch: %q", q)
	}
}

func TestSecretMustBeLiteral(t *testing.T) {
	src := `runbook "s" {
  match = ["a=\"b\""]
  remediate "r" {
    action "a" {
      pgbouncer_pool_size {
        admin_dsn = secret(alert.labels.x)
        database  = "d"
        set       = "4"
      }
    }
  }
}`
	if _, diags := Parse("s.hcl", []byte(src)); !diags.HasErrors() || !strings.Contains(diags.Error(), "Variables not allowed") {
		t.Errorf("secret(alert.labels.x) accepted: %v", diags)
	}
}

// TestPromQLInterpolationOutsideDoubleQuotes: a label value is escaped for
// a double-quoted PromQL string, so anywhere else (single quotes, backticks,
// bare, after a backslash) it could end the selector and append a query of
// its own; it is refused there. Numbers may stand anywhere.
func TestPromQLInterpolationOutsideDoubleQuotes(t *testing.T) {
	const hostile = "x'} or vector(1) or up{a='"
	tests := []struct {
		name, query string
		want        string // "" = refused
	}{
		{"double quotes", `up{job=\"${alert.labels.job}\"}`, `up{job="x'} or vector(1) or up{a='"}`},
		{"single quotes", `up{job='${alert.labels.job}'}`, ""},
		{"backticks", "up{job=`${alert.labels.job}`}", ""},
		{"bare", `up{job=${alert.labels.job}}`, ""},
		{"after a closed string", `up{job=\"a\"} or ${alert.labels.job}`, ""},
		{"after an escaped quote", `up{job=\"a\\\"${alert.labels.job}\"}`, `up{job="a\"x'} or vector(1) or up{a='"}`},
		{"after a trailing backslash", `up{job=\"a\\${alert.labels.job}\"}`, ""},
		{"in a comment's quotes", `up # \"\nor up{job=${alert.labels.job}}`, ""},
		{"a number bare", `up > ${alert.labels.job == "" ? 0 : 26}`, "up > 26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `runbook "q" {
  match = ["alertname=\"A\""]
  diagnose "d" {
    prometheus {
      query = "` + tt.query + `"
    }
  }
  escalate_when = true
}`
			rb, diags := Parse("q.hcl", []byte(src))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			q, _, _, err := rb.Diagnosis("d").PromQuery(&Scope{Alert: Alert{Labels: map[string]string{"job": hostile}}})
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("query %q accepted, want a refusal", q)
			case tt.want == "" && !strings.Contains(err.Error(), "outside a double-quoted PromQL string"):
				t.Errorf("refused for another reason: %v", err)
			case tt.want != "" && (err != nil || q != tt.want):
				t.Errorf("got %q, %v; want %q", q, err, tt.want)
			}
		})
	}
}
