package runbooks

import (
	"math"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Scope is everything an expression can see: the alert that started the
// incident and the diagnoses gathered so far. The workflow builds it from
// values recorded in its history, so evaluating against it is replay-safe.
type Scope struct {
	Alert     Alert                // what alert.* sees
	Diagnosis map[string]Diagnosis // what diagnosis.<name>.* sees, by diagnose block name
}

// Alert is one Alertmanager alert as firebreak sees it: what runbooks read
// (alert.*), and what an incident records (internal/incident.Alert is this
// type). It is carried in workflow inputs and signals as JSON, so field
// names are part of the durable contract.
type Alert struct {
	Status       string            // "firing" | "resolved"
	Labels       map[string]string // alert.labels.<name>
	Annotations  map[string]string // alert.annotations.<name>
	StartsAt     time.Time         // when Alertmanager says the alert started
	EndsAt       time.Time         // when it ended; zero while firing (Alertmanager may send a future time)
	GeneratorURL string            // alert.generator_url
	Fingerprint  string            // alert.fingerprint
}

// Diagnosis is the outcome of one diagnose block, as conditions see it.
// Value, Found and Series belong to prometheus diagnoses, Kube to
// kubernetes_rollout ones; Error to both.
type Diagnosis struct {
	Value  float64   // first series' value (series sorted by labels); 0 when no series
	Found  bool      // at least one series
	Series []Series  // diagnosis.<name>.series[i].labels / .value
	Error  string    // non-empty when the query or read failed; the workflow escalates then
	Kube   *KubeView // a kubernetes_rollout diagnosis; nil for prometheus ones and when the read failed (found reads false then)
}

// Series is one labelled sample of a diagnosis result.
type Series struct {
	Labels map[string]string // the series' labels
	Value  float64           // its value (the last one for range queries)
}

// Names of the scope variables, shared by the static checks and the
// evaluation context so that both always agree.
const (
	varAlert     = "alert"
	varDiagnosis = "diagnosis"

	alertLabels       = "labels"
	alertAnnotations  = "annotations"
	alertStatus       = "status"
	alertFingerprint  = "fingerprint"
	alertGeneratorURL = "generator_url"

	diagValue  = "value"
	diagFound  = "found"
	diagSeries = "series"
	diagError  = "error"
)

var (
	seriesType    = cty.Object(map[string]cty.Type{"labels": cty.Map(cty.String), "value": cty.Number})
	diagnosisType = cty.Object(map[string]cty.Type{
		diagValue:  cty.Number,
		diagFound:  cty.Bool,
		diagSeries: cty.List(seriesType),
		diagError:  cty.String,
	})
)

// evalContext turns a scope into HCL variables for runbook r. Labels and
// annotations that r references by name but the alert lacks read as "",
// because alerts routinely omit labels and a condition on a missing label
// should be false, not a failed incident.
func (r *Runbook) evalContext(s *Scope) *hcl.EvalContext {
	if s == nil {
		s = &Scope{}
	}
	alert := cty.ObjectVal(map[string]cty.Value{
		alertLabels:       stringMap(s.Alert.Labels, r.refs.labels),
		alertAnnotations:  stringMap(s.Alert.Annotations, r.refs.annotations),
		alertStatus:       cty.StringVal(s.Alert.Status),
		alertFingerprint:  cty.StringVal(s.Alert.Fingerprint),
		alertGeneratorURL: cty.StringVal(s.Alert.GeneratorURL),
	})
	diags := make(map[string]cty.Value, len(r.Diagnoses))
	for _, d := range r.Diagnoses {
		if d.Kubernetes != nil {
			diags[d.Name] = kubeDiagnosisValue(s.Diagnosis[d.Name], d.ClassNames())
		} else {
			diags[d.Name] = diagnosisValue(s.Diagnosis[d.Name])
		}
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			varAlert:     alert,
			varDiagnosis: cty.ObjectVal(diags),
		},
		Functions: functionTable,
	}
}

// typeCheckContext is evalContext with every value unknown: evaluating an
// expression against it finds type errors at parse time without an alert.
func (r *Runbook) typeCheckContext(withDiagnoses bool) *hcl.EvalContext {
	vars := map[string]cty.Value{
		varAlert: cty.ObjectVal(map[string]cty.Value{
			alertLabels:       cty.UnknownVal(cty.Map(cty.String)),
			alertAnnotations:  cty.UnknownVal(cty.Map(cty.String)),
			alertStatus:       cty.UnknownVal(cty.String),
			alertFingerprint:  cty.UnknownVal(cty.String),
			alertGeneratorURL: cty.UnknownVal(cty.String),
		}),
	}
	if withDiagnoses {
		diags := make(map[string]cty.Value, len(r.Diagnoses))
		for _, d := range r.Diagnoses {
			if d.Kubernetes != nil {
				diags[d.Name] = cty.UnknownVal(kubeDiagnosisType)
			} else {
				diags[d.Name] = cty.UnknownVal(diagnosisType)
			}
		}
		vars[varDiagnosis] = cty.ObjectVal(diags)
	}
	return &hcl.EvalContext{Variables: vars, Functions: functionTable}
}

// stringMap converts m, adding "" for every name in also that m lacks.
func stringMap(m map[string]string, also []string) cty.Value {
	vals := make(map[string]cty.Value, len(m)+len(also))
	for k, v := range m {
		vals[k] = cty.StringVal(v)
	}
	for _, k := range also {
		if _, ok := vals[k]; !ok {
			vals[k] = cty.StringVal("")
		}
	}
	if len(vals) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	return cty.MapVal(vals)
}

// number converts a float; NaN, which Prometheus can return, becomes null
// because cty numbers cannot hold it: a comparison with it then fails loudly
// instead of being silently false.
func number(f float64) cty.Value {
	if math.IsNaN(f) {
		return cty.NullVal(cty.Number)
	}
	return cty.NumberFloatVal(f)
}

func diagnosisValue(d Diagnosis) cty.Value {
	series := make([]cty.Value, 0, len(d.Series))
	for _, s := range d.Series {
		series = append(series, cty.ObjectVal(map[string]cty.Value{
			"labels": stringMap(s.Labels, nil),
			"value":  number(s.Value),
		}))
	}
	list := cty.ListValEmpty(seriesType)
	if len(series) > 0 {
		list = cty.ListVal(series)
	}
	return cty.ObjectVal(map[string]cty.Value{
		diagValue:  number(d.Value),
		diagFound:  cty.BoolVal(d.Found),
		diagSeries: list,
		diagError:  cty.StringVal(d.Error),
	})
}
