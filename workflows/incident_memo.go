package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

// The incident's list view lives in its workflow memo (incident.ListView,
// keys incident.Memo*): visibility returns it with every listed execution,
// so `firebreak incidents list` needs no query per incident. It is written
// at the start and then whenever the phase, outcome, reason or storm has
// changed by the time the workflow waits for something, so that several
// changes in one workflow task (escalating, the outcome, awaiting
// resolution) cost one history event, and a lingering incident hearing
// repeats of its alert costs none. Incidents started before
// GetVersion("list-memo") keep no memo.

// listKey is what the list view is computed from, as last written.
type listKey struct{ phase, outcome, reason, storm string }

func (r *incidentRun) listKeyNow() listKey {
	return listKey{r.st.Phase, r.st.Outcome, r.st.Reason, r.st.Storm}
}

// startListView writes the first list view and keeps it current from a
// coroutine of its own, which runs whenever every other one waits.
func (r *incidentRun) startListView(ctx workflow.Context) {
	r.listMemo = true
	r.writeListView(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if err := workflow.Await(ctx, func() bool { return !r.holdListView && r.listKeyNow() != r.listed }); err != nil {
				return
			}
			r.writeListView(ctx)
		}
	})
}

// writeListView upserts the memo fields that changed since the last write,
// if any.
func (r *incidentRun) writeListView(ctx workflow.Context) {
	if !r.listMemo {
		return
	}
	r.listed = r.listKeyNow()
	v := incident.ListViewOf(r.st)
	m := v.Memo(r.view)
	if m == nil {
		return
	}
	if err := workflow.UpsertMemo(ctx, m); err != nil {
		// Only a value the data converter cannot encode fails here; the
		// record is unaffected, so the incident goes on.
		workflow.GetLogger(ctx).Warn("list view not written to the memo", "incident", r.in.IncidentID, "error", err)
		return
	}
	r.view = v
}
