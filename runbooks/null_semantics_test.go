package runbooks

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestNullSemantics pins what a runbook expression does with a null value,
// a diagnosis without series and a missing label, through the same calls
// the incident workflow makes: Parse, then Remediation.Holds (when),
// Runbook.ShouldEscalate (escalate_when), Verify.PromQuery and
// Diagnose.PromQuery (PromQL templates), Action.PoolSize (the database
// template) and Action.Kube (a Kubernetes value). docs/runbooks.md ("Null
// values, empty results and missing labels") documents exactly these rows.
//
// Where nulls come from: the runbooks package turns a NaN diagnosis value
// into null (scope.go, number), which the "nan" scope exercises; an
// expression can also produce null itself (the null literal, a conditional
// branch), which the cond() rows do at run time, past the static check.
// (In a running incident the diagnose activity already reports a
// Prometheus NaN as 0, because Temporal's JSON cannot carry NaN; see
// diagnose.QueryResult.)
func TestNullSemantics(t *testing.T) {
	scopes := map[string]*Scope{
		// The query answered NaN (value and the one series).
		"nan": {Alert: Alert{Status: "firing"}, Diagnosis: map[string]Diagnosis{
			"d": {Value: math.NaN(), Found: true, Series: []Series{{Labels: map[string]string{"a": "b"}, Value: math.NaN()}}},
		}},
		// The query answered no series: what the workflow records then.
		"empty": {Alert: Alert{Status: "firing"}, Diagnosis: map[string]Diagnosis{"d": {Series: []Series{}}}},
		// The diagnosis never ran (or the scope lacks it).
		"not run": {Alert: Alert{Status: "firing"}},
		// An ordinary answer.
		"three": {Alert: Alert{Status: "firing"}, Diagnosis: map[string]Diagnosis{
			"d": {Value: 3, Found: true, Series: []Series{{Labels: map[string]string{"a": "b"}, Value: 3}}},
		}},
	}
	// null is a bool/number/string null at run time that the static type
	// check cannot see (its condition is unknown when the file is parsed).
	const null = `(alert.status == "firing" ? null : %s)`
	cond := func(zero string) string { return fmt.Sprintf(null, zero) }

	tests := []struct {
		name  string
		use   string // "when", "escalate_when", "verify" (verify.prometheus template) or "query" (diagnose template)
		expr  string
		scope string
		// One of: want (the bool a condition gives, or the rendered
		// template), wantErr (a substring of the evaluation error), or
		// parseErr (a substring of the parse diagnostics).
		want     string
		wantErr  string
		parseErr string
	}{
		// Comparisons with null.
		{name: "null > 0 fails", use: "when", expr: `diagnosis.d.value > 0`, scope: "nan", wantErr: "argument must not be null"},
		{name: "null <= 0 fails", use: "when", expr: `diagnosis.d.value <= 0`, scope: "nan", wantErr: "argument must not be null"},
		{name: "null == 0 is false", use: "when", expr: `diagnosis.d.value == 0`, scope: "nan", want: "false"},
		{name: "null != 0 is true", use: "when", expr: `diagnosis.d.value != 0`, scope: "nan", want: "true"},
		{name: "null == null is true", use: "when", expr: `diagnosis.d.value == null`, scope: "nan", want: "true"},
		{name: "a number == null is false", use: "when", expr: `diagnosis.d.value == null`, scope: "three", want: "false"},
		{name: "null string == \"\" is false", use: "when", expr: cond(`"x"`) + ` == ""`, scope: "three", want: "false"},
		// Arithmetic with null.
		{name: "null + 1 fails", use: "when", expr: `diagnosis.d.value + 1 > 0`, scope: "nan", wantErr: "argument must not be null"},
		{name: "null * 0 fails", use: "when", expr: `diagnosis.d.value * 0 == 0`, scope: "nan", wantErr: "argument must not be null"},
		{name: "null - 1 fails", use: "when", expr: `diagnosis.d.value - 1 > 0`, scope: "nan", wantErr: "argument must not be null"},
		{name: "null / 2 fails", use: "when", expr: `diagnosis.d.value / 2 > 0`, scope: "nan", wantErr: "argument must not be null"},
		{name: "null % 2 fails", use: "when", expr: `diagnosis.d.value % 2 > 0`, scope: "nan", wantErr: "argument must not be null"},
		{name: "-null fails", use: "when", expr: `-diagnosis.d.value < 0`, scope: "nan", wantErr: "argument must not be null"},
		// Boolean operators: both sides are evaluated, and a side that
		// decides the result alone (true for ||, false for &&) wins, on
		// either side, even when the other side failed or is null;
		// otherwise the failure or the null is the result.
		{name: "true || (null > 0) is true", use: "when", expr: `true || diagnosis.d.value > 0`, scope: "nan", want: "true"},
		{name: "(null > 0) || true is true", use: "when", expr: `diagnosis.d.value > 0 || true`, scope: "nan", want: "true"},
		{name: "(null > 0) || false fails", use: "when", expr: `diagnosis.d.value > 0 || false`, scope: "nan", wantErr: "argument must not be null"},
		{name: "false && (null > 0) is false", use: "when", expr: `false && diagnosis.d.value > 0`, scope: "nan", want: "false"},
		{name: "(null > 0) && false is false", use: "when", expr: `diagnosis.d.value > 0 && false`, scope: "nan", want: "false"},
		{name: "true && (null > 0) fails", use: "when", expr: `true && diagnosis.d.value > 0`, scope: "nan", wantErr: "argument must not be null"},
		{name: "null || true is true", use: "when", expr: cond("false") + ` || true`, scope: "three", want: "true"},
		{name: "null || false fails", use: "when", expr: cond("false") + ` || false`, scope: "three", wantErr: "argument must not be null"},
		{name: "null && false is false", use: "when", expr: cond("false") + ` && false`, scope: "three", want: "false"},
		// A null operand of && reads as false: HCL's short-circuit asks
		// whether a side is false, and a null bool is "not true".
		{name: "null && true is false", use: "when", expr: cond("false") + ` && true`, scope: "three", want: "false"},
		{name: "true && null is false", use: "when", expr: `true && ` + cond("false"), scope: "three", want: "false"},
		{name: "null && (null > 0) is false", use: "when", expr: cond("false") + ` && diagnosis.d.value > 0`, scope: "nan", want: "false"},
		{name: "null || null fails", use: "when", expr: cond("false") + ` || ` + cond("false"), scope: "three", wantErr: "argument must not be null"},
		{name: "!null fails", use: "when", expr: `!` + cond("false"), scope: "three", wantErr: "argument must not be null"},
		// Guards: a value compared with null, a conditional (which
		// evaluates one branch only), coalesce (which skips nulls).
		{name: "guard with &&", use: "when", expr: `diagnosis.d.value != null && diagnosis.d.value > 0`, scope: "nan", want: "false"},
		{name: "guard with &&, number", use: "when", expr: `diagnosis.d.value != null && diagnosis.d.value > 0`, scope: "three", want: "true"},
		{name: "guard with ?:", use: "when", expr: `diagnosis.d.value == null ? false : diagnosis.d.value > 0`, scope: "nan", want: "false"},
		{name: "guard with ?:, number", use: "when", expr: `diagnosis.d.value == null ? false : diagnosis.d.value > 0`, scope: "three", want: "true"},
		{name: "coalesce", use: "when", expr: `coalesce(diagnosis.d.value, 0) > 0`, scope: "nan", want: "false"},
		{name: "a null condition of ?: fails", use: "when", expr: cond("true") + ` ? true : false`, scope: "three", wantErr: "Null condition"},
		{name: "a failed condition of ?: fails", use: "when", expr: `diagnosis.d.value > 0 ? true : false`, scope: "nan", wantErr: "argument must not be null"},
		// when and escalate_when that are null.
		{name: "when null fails", use: "when", expr: cond("false"), scope: "three", wantErr: "result is null"},
		{name: "escalate_when null fails", use: "escalate_when", expr: cond("false"), scope: "three", wantErr: "result is null"},
		{name: "when = null fails", use: "when", expr: `null`, scope: "three", wantErr: "result is null"},
		{name: "escalate_when = null fails", use: "escalate_when", expr: `null`, scope: "three", wantErr: "result is null"},
		// A diagnosis without series: value 0, found false, no series; no null.
		{name: "no series: value is 0", use: "when", expr: `diagnosis.d.value == 0`, scope: "empty", want: "true"},
		{name: "no series: value > 0 is false", use: "when", expr: `diagnosis.d.value > 0`, scope: "empty", want: "false"},
		{name: "no series: found is false", use: "when", expr: `diagnosis.d.found`, scope: "empty", want: "false"},
		{name: "no series: series is empty", use: "when", expr: `length(diagnosis.d.series) == 0`, scope: "empty", want: "true"},
		{name: "no series: series[0] fails", use: "when", expr: `diagnosis.d.series[0].value > 0`, scope: "empty", wantErr: "Invalid index"},
		{name: "not run reads as no series", use: "when", expr: `!diagnosis.d.found && diagnosis.d.value == 0 && diagnosis.d.error == ""`, scope: "not run", want: "true"},
		{name: "series value NaN is null", use: "when", expr: `diagnosis.d.series[0].value > 0`, scope: "nan", wantErr: "argument must not be null"},
		// Missing labels.
		{name: "missing label reads \"\"", use: "when", expr: `alert.labels.nope == ""`, scope: "three", want: "true"},
		{name: "missing label by literal key reads \"\"", use: "when", expr: `alert.labels["nope"] == ""`, scope: "three", want: "true"},
		{name: "missing label by computed key fails", use: "when", expr: `alert.labels[alert.status] == ""`, scope: "three", wantErr: "Invalid index"},
		{name: "lookup with a default", use: "when", expr: `lookup(alert.labels, alert.status, "") == ""`, scope: "three", want: "true"},
		{name: "missing annotation reads \"\"", use: "when", expr: `alert.annotations.nope == ""`, scope: "three", want: "true"},
		{name: "tonumber of a missing label fails", use: "when", expr: `tonumber(alert.labels.nope) > 0`, scope: "three", wantErr: "Invalid function argument"},
		// Templates.
		{name: "template: missing label renders \"\"", use: "verify", expr: `"up{a=\"${alert.labels.nope}\"}"`, scope: "three", want: `up{a=""}`},
		{name: "template: missing label in a diagnose query renders \"\"", use: "query", expr: `"up{a=\"${alert.labels.nope}\"}"`, scope: "three", want: `up{a=""}`},
		{name: "template: null string in a diagnose query fails", use: "query", expr: `"up{a=\"${` + cond(`"x"`) + `}\"}"`, scope: "three", wantErr: "interpolated value is null"},
		{name: "template: null value fails", use: "verify", expr: `"up > ${diagnosis.d.value}"`, scope: "nan", wantErr: "interpolated value is null"},
		{name: "template: null string fails", use: "verify", expr: `"up{a=\"${` + cond(`"x"`) + `}\"}"`, scope: "three", wantErr: "interpolated value is null"},
		{name: "template: no series renders 0", use: "verify", expr: `"up > ${diagnosis.d.value}"`, scope: "empty", want: `up > 0`},
		{name: "template: coalesce", use: "verify", expr: `"up > ${coalesce(diagnosis.d.value, 0)}"`, scope: "nan", want: `up > 0`},
		{name: "template: null condition fails", use: "verify", expr: `"up${` + cond("true") + ` ? "" : "x"}"`, scope: "three", wantErr: "condition is null"},
		{name: "database: missing label renders \"\" and is refused", use: "database", expr: `"${alert.labels.nope}"`, scope: "three", wantErr: `database "" refused`},
		{name: "database: null fails", use: "database", expr: `"${` + cond(`"x"`) + `}"`, scope: "three", wantErr: "interpolated value is null"},
		{name: "kubernetes value: missing label renders \"\"", use: "value", expr: `"v=${alert.labels.nope}"`, scope: "three", want: "v="},
		{name: "kubernetes value: null expression fails", use: "value", expr: cond(`"x"`), scope: "three", wantErr: "result is null"},
		{name: "kubernetes value: null in a template fails", use: "value", expr: `"v=${` + cond(`"x"`) + `}"`, scope: "three", wantErr: "Cannot include a null value in a string template"},
		{name: "kubernetes value: null number in a template fails", use: "value", expr: `"v=${diagnosis.d.value}"`, scope: "nan", wantErr: "Cannot include a null value in a string template"},
		// What the static check catches: a literal null in an operation.
		{name: "literal null > 0 is a parse error", use: "when", expr: `null > 0`, parseErr: "argument must not be null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb, diags := Parse("nulls.hcl", []byte(nullRunbook(tt.use, tt.expr)))
			if tt.parseErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.parseErr) {
					t.Fatalf("parse: %v, want an error containing %q", diags, tt.parseErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("parse: %s", diags.Error())
			}
			s := scopes[tt.scope]
			if s == nil {
				t.Fatalf("no scope %q", tt.scope)
			}
			var got string
			var err error
			switch tt.use {
			case "when":
				var ok bool
				ok, err = rb.Remediations[0].Holds(s)
				got = fmt.Sprint(ok)
			case "escalate_when":
				var ok bool
				ok, err = rb.ShouldEscalate(s)
				got = fmt.Sprint(ok)
			case "verify":
				got, err = rb.Remediations[0].Verify.PromQuery(s)
			case "query":
				got, _, _, err = rb.Diagnoses[1].PromQuery(s)
			case "database":
				var spec PoolSizeSpec
				spec, err = rb.Remediations[0].Actions[0].PoolSize(s)
				got = spec.Database
			case "value":
				var spec KubeActionSpec
				spec, err = rb.Remediations[0].Actions[0].Kube(s)
				got = spec.Value
			default:
				t.Fatalf("unknown use %q", tt.use)
			}
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, error %v; want an error containing %q", got, err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("error %v, want %q", err, tt.want)
			case got != tt.want:
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// nullRunbook is a runbook with expr in the place use names and the
// defaults everywhere else: its one action is a pgbouncer_pool_size, or
// for "value" a kubernetes_patch_configmap.
func nullRunbook(use, expr string) string {
	esc, when, verify, query, database := "false", "true", `"up"`, `"up"`, `"db"`
	action := `pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = %s
        set       = "1"
      }`
	switch use {
	case "database":
		database = expr
	case "value":
		action = `kubernetes_patch_configmap {
        target = target.cfg
        key    = "k"
        value  = ` + expr + `
      }`
	}
	if use != "value" {
		action = fmt.Sprintf(action, database)
	}
	switch use {
	case "escalate_when":
		esc = expr
	case "when":
		when = expr
	case "verify":
		verify = expr
	case "query":
		query = expr
	}
	return fmt.Sprintf(`runbook "nulls" {
  match = ["alertname=\"X\""]
  diagnose "d" {
    prometheus { query = "up" }
  }
  diagnose "q" {
    prometheus { query = %s }
  }
  target "cfg" {
    kind      = "ConfigMap"
    namespace = "ns"
    name      = "cfg"
  }
  escalate_when = %s
  remediate "r" {
    when = %s
    action "a" {
      %s
    }
    verify {
      prometheus = %s
      below      = 1
      within     = "1m"
    }
  }
}
`, query, esc, when, action, verify)
}
