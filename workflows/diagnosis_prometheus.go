package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// diag names the Prometheus activities; the worker registers a real
// *diagnose.Activities under the same names.
var diag *diagnose.Activities

func init() { registerDiagnosis(runbooks.DiagnosePrometheus, (*incidentRun).diagnoseProm) }

// diagnoseProm runs a prometheus diagnosis: an instant or range query
// whose first series' value, and every series, runbooks see.
func (r *incidentRun) diagnoseProm(ctx workflow.Context, d *runbooks.Diagnose) string {
	query, rng, step, err := d.PromQuery(&r.scope)
	rec := incident.DiagnosisRecord{Name: d.Name, Query: query}
	if err != nil {
		rec.Error = err.Error()
		r.st.Diagnosis = append(r.st.Diagnosis, rec)
		r.scope.Diagnosis[d.Name] = runbooks.Diagnosis{Error: rec.Error}
		return fmt.Sprintf("diagnosis %q failed: %v", d.Name, err)
	}
	var res diagnose.QueryResult
	err = readCall(ctx, diag.PromQuery, diagnose.QueryInput{Query: query, Range: rng, Step: step}).Get(ctx, &res)
	if err != nil {
		rec.Error = errorMessage(err)
		r.st.Diagnosis = append(r.st.Diagnosis, rec)
		r.scope.Diagnosis[d.Name] = runbooks.Diagnosis{Error: rec.Error}
		r.event(ctx, "diagnosis", fmt.Sprintf("%s failed: %s", d.Name, rec.Error))
		return fmt.Sprintf("diagnosis %q failed: %s", d.Name, rec.Error)
	}
	rec.Value, rec.Found, rec.Series = res.Value, res.Found, len(res.Series)
	r.st.Diagnosis = append(r.st.Diagnosis, rec)
	series := make([]runbooks.Series, 0, len(res.Series))
	for _, s := range res.Series {
		series = append(series, runbooks.Series{Labels: s.Labels, Value: s.Value})
	}
	r.scope.Diagnosis[d.Name] = runbooks.Diagnosis{Value: res.Value, Found: res.Found, Series: series}
	r.event(ctx, "diagnosis", fmt.Sprintf("%s = %g (%d series)", d.Name, res.Value, len(res.Series)))
	return ""
}
