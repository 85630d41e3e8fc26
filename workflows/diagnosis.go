package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/runbooks"
)

// The table of diagnosis sources: each source registers, in its own file,
// how the workflow runs a diagnose block of that source and records what it
// found, in the record (incident.DiagnosisRecord) and in what runbook
// expressions see (runbooks.Diagnosis). Adding a source is its runbook
// schema, its activity (diagnose), one file here, and its docs.

// diagnosisSource runs one diagnose block. It records the result on r and
// returns why the diagnosis failed, or "".
type diagnosisSource func(r *incidentRun, ctx workflow.Context, d *runbooks.Diagnose) string

var diagnosisSources = map[string]diagnosisSource{}

// registerDiagnosis adds a source to the table; a source registered twice
// is a programming error.
func registerDiagnosis(source string, run diagnosisSource) {
	if _, dup := diagnosisSources[source]; dup {
		panic("workflows: diagnosis source " + source + " registered twice")
	}
	diagnosisSources[source] = run
}

// diagnose runs every diagnose block in order and returns why diagnosis
// failed, or "". A runbook never acts on partial evidence.
func (r *incidentRun) diagnose(ctx workflow.Context) string {
	for _, d := range r.rb.Diagnoses {
		run, ok := diagnosisSources[d.Source()]
		if !ok {
			return fmt.Sprintf("diagnosis %q: source %q is not supported by this worker", d.Name, d.Source())
		}
		if failed := run(r, ctx, d); failed != "" {
			return failed
		}
	}
	return ""
}
