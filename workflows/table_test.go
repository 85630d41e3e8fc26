package workflows

import (
	"testing"

	"github.com/firebreak-dev/firebreak/runbooks"
)

// TestTablesCoverTheLanguage: every action kind and diagnosis source a
// runbook may use has an entry in the workflow's tables, and the tables
// hold nothing the language cannot say. A kind added to the schema but not
// here would validate and then fail every incident that used it.
func TestTablesCoverTheLanguage(t *testing.T) {
	for _, tc := range []struct {
		what     string
		language []string
		table    func(string) bool
		size     int
	}{
		{"action kind", runbooks.ActionKinds(), func(k string) bool { _, ok := actionKinds[k]; return ok }, len(actionKinds)},
		{"diagnosis source", runbooks.DiagnosisSources(), func(k string) bool { _, ok := diagnosisSources[k]; return ok }, len(diagnosisSources)},
	} {
		t.Run(tc.what, func(t *testing.T) {
			if len(tc.language) == 0 {
				t.Fatalf("the language lists no %ss", tc.what)
			}
			for _, k := range tc.language {
				if !tc.table(k) {
					t.Errorf("%s %q is in the runbook schema but not in the workflow's table", tc.what, k)
				}
			}
			if tc.size != len(tc.language) {
				t.Errorf("the workflow's table has %d %ss, the language %d", tc.size, tc.what, len(tc.language))
			}
		})
	}
}
