package incident

// The Incident workflow keeps the part of its record that a list of
// incidents shows in its workflow memo, which Temporal's visibility API
// returns with every execution it lists: `firebreak incidents list` reads
// a thousand incidents in one page instead of querying each workflow. The
// memo needs no search-attribute registration, so it works on any cluster;
// it cannot be searched on, so filters on these values run client-side
// (ListFilter.Match).
//
// The keys live here rather than beside the workflow because both sides
// need them: the workflow (package workflows imports this package) writes
// them and the views below read them, and this package may import nothing
// of firebreak's but the runbook language.
const (
	MemoRunbook = "firebreak.runbook"
	MemoService = "firebreak.service"
	MemoPhase   = "firebreak.phase"
	MemoOutcome = "firebreak.outcome"
	// MemoReason is the outcome's reason (or, while escalating, the
	// escalation's) in one line of at most MemoReasonMax characters, with
	// the Temporal SDK's error decoration removed.
	MemoReason = "firebreak.reason"
	// MemoGroupedInto is the storm the incident was grouped into, if any.
	MemoGroupedInto = "firebreak.grouped_into"
	// MemoAlert is "resolved" when the incident closed because its alert
	// resolved. It is written only with the closing view, so it adds no
	// memo write of its own to any history.
	MemoAlert = "firebreak.alert"
)

// ServiceLabel is the alert label that names the service an incident is
// about: runbooks refer to it as alert.labels.service (in queries, targets
// and group_by), and PagerDuty pages carry it as the component.
const ServiceLabel = "service"

// MemoReasonMax bounds the reason (and the service) kept in the memo, in
// characters: the memo travels with every listed execution, and the full
// reason stays in the record.
const MemoReasonMax = 120

// ListView is what an incident keeps in its memo: the values a list of
// incidents shows, each short and on one line.
type ListView struct {
	Runbook     string
	Service     string
	Phase       string
	Outcome     string
	Reason      string
	GroupedInto string
	// Alert is "resolved" once the incident is closed and its alert had
	// resolved; empty before it closes.
	Alert string
}

// ListViewOf is the list view of a record. It depends on nothing but st,
// so the workflow can compute it on every change and replay it.
func ListViewOf(st State) ListView {
	return ListView{
		Runbook:     st.Runbook,
		Service:     Shorten(OneLine(st.Alert.Labels[ServiceLabel]), MemoReasonMax),
		Phase:       st.Phase,
		Outcome:     st.Outcome,
		Reason:      Shorten(OneLine(HumanText(st.Reason)), MemoReasonMax),
		GroupedInto: st.Storm,
		Alert:       closingAlert(st),
	}
}

// closingAlert is the Alert of the list view: set only in the closed
// phase, together with the phase change, so that recorded histories see
// no additional memo write.
func closingAlert(st State) string {
	if st.Phase == PhaseClosed && st.AlertStatus == "resolved" {
		return "resolved"
	}
	return ""
}

// Memo returns the memo fields in which v differs from prev, the view
// last written (the zero ListView before the first write), or nil when
// nothing changed: Temporal merges an upserted memo into the one it holds,
// and each upsert is one event in the incident's history, so only changes
// are written (the first write leaves out what is empty).
func (v ListView) Memo(prev ListView) map[string]any {
	var m map[string]any
	set := func(key, now, before string) {
		if now == before {
			return
		}
		if m == nil {
			m = make(map[string]any, 6)
		}
		m[key] = now
	}
	set(MemoRunbook, v.Runbook, prev.Runbook)
	set(MemoService, v.Service, prev.Service)
	set(MemoPhase, v.Phase, prev.Phase)
	set(MemoOutcome, v.Outcome, prev.Outcome)
	set(MemoReason, v.Reason, prev.Reason)
	set(MemoGroupedInto, v.GroupedInto, prev.GroupedInto)
	set(MemoAlert, v.Alert, prev.Alert)
	return m
}
