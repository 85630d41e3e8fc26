package escalate

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

// Caps on what an escalation carries of an incident's growing parts, so
// that every activity input (and the history that records it) stays
// bounded however long the incident runs. The full record is the
// workflow's state and result.
const (
	// MaxChecks is how many verification checks, the latest, an
	// escalation carries.
	MaxChecks = 20
	// MaxTimeline is how many timeline entries, the latest, an escalation
	// carries.
	MaxTimeline = 50
)

// Summary is the bounded account of an incident that an escalation
// carries to its sinks: everything the person paged needs (the alert, the
// diagnosis, every action with its before and after values, the latest
// checks and timeline entries), and nothing that grows with the incident's
// age. Its JSON field names are those of incident.State, so a record
// written from either reads the same.
type Summary struct {
	IncidentID string
	Runbook    string
	Phase      string
	Outcome    string `json:",omitempty"`
	Reason     string `json:",omitempty"`
	DryRun     bool
	Storm      string `json:",omitempty"` // the storm the incident was grouped into

	Alert         incident.Alert
	Notifications int // Alertmanager notifications heard, the first included

	Diagnosis    []incident.DiagnosisRecord // one per diagnose block
	Remediation  string                     `json:",omitempty"`
	Actions      []incident.ActionRecord    // one per action of the remediation
	Checks       []incident.CheckRecord     // the latest MaxChecks
	ChecksTotal  int                        // how many checks the incident made
	Verification string                     `json:",omitempty"`
	Approval     *incident.ApprovalRecord   `json:",omitempty"`
	Acknowledged *incident.Acknowledgement  `json:",omitempty"`
	Timeline     []incident.Event           // the latest MaxTimeline entries
	EventsTotal  int                        // how many timeline entries the incident has

	StartedAt     time.Time
	FirstActionAt time.Time `json:",omitempty"`
}

// SummaryOf is the bounded summary of an incident's record. It is pure and
// deterministic, so the workflow builds it for each activity it schedules.
func SummaryOf(st incident.State) Summary {
	return Summary{
		IncidentID: st.IncidentID, Runbook: st.Runbook, Phase: st.Phase, Outcome: st.Outcome, Reason: st.Reason,
		DryRun: st.DryRun, Storm: st.Storm, Alert: st.Alert, Notifications: st.Notifications,
		Diagnosis: st.Diagnosis, Remediation: st.Remediation, Actions: st.Actions,
		Checks: latest(st.Checks, MaxChecks), ChecksTotal: len(st.Checks), Verification: st.Verification,
		Approval: st.Approval, Acknowledged: st.Acknowledged,
		Timeline: latest(st.Timeline, MaxTimeline), EventsTotal: len(st.Timeline),
		StartedAt: st.StartedAt, FirstActionAt: st.FirstActionAt,
	}
}

// latest is a copy of the last n elements of s.
func latest[T any](s []T, n int) []T {
	return slices.Clone(s[max(len(s)-n, 0):])
}

// Header is what the incident's header message in chat shows: bounded (no
// checks, no timeline), rebuilt for every post so the header stays
// current.
type Header struct {
	IncidentID   string
	Runbook      string
	Title        string  // the alert name
	Severity     string  // the alert's severity label
	Summary      string  // the alert's summary (or description) annotation
	Phase        string  // incident.Phase*
	Outcome      string  `json:",omitempty"` // incident.Outcome*, once decided
	Reason       string  `json:",omitempty"`
	Diagnosis    []Field // one per diagnose block, in runbook order
	Actions      []string
	TimelineURL  string `json:",omitempty"` // the incident's history (Temporal Web UI)
	GeneratorURL string `json:",omitempty"` // the alert's source
}

// Field is one labelled value of a header (a diagnosis result, say).
type Field struct {
	Name  string
	Value string
}

// HeaderOf is the header message of an incident, linking timelineURL.
func HeaderOf(st incident.State, timelineURL string) Header {
	return SummaryOf(st).Header(timelineURL)
}

// Header is the header message of the summarised incident, linking
// timelineURL, so every sink shows the same facts.
func (s Summary) Header(timelineURL string) Header {
	h := Header{
		IncidentID:   s.IncidentID,
		Runbook:      s.Runbook,
		Title:        s.Alert.Labels["alertname"],
		Severity:     s.Alert.Labels["severity"],
		Summary:      s.Alert.Annotations["summary"],
		Phase:        s.Phase,
		Outcome:      s.Outcome,
		Reason:       s.Reason,
		TimelineURL:  timelineURL,
		GeneratorURL: s.Alert.GeneratorURL,
	}
	if h.Summary == "" {
		h.Summary = s.Alert.Annotations["description"]
	}
	for _, d := range s.Diagnosis {
		v := strconv.FormatFloat(d.Value, 'g', 6, 64)
		switch {
		case d.Error != "":
			v = "error: " + d.Error
		case !d.Found:
			v = "no series"
		case d.Series > 1:
			v += fmt.Sprintf(" (%d series)", d.Series)
		}
		h.Diagnosis = append(h.Diagnosis, Field{Name: d.Name, Value: v})
	}
	h.Actions = ActionLines(s.Actions)
	if s.Verification != "" {
		h.Actions = append(h.Actions, "verification: "+s.Verification)
	}
	return h
}

// ActionLines says in one line each what the actions did.
func ActionLines(actions []incident.ActionRecord) []string {
	var out []string
	for _, a := range actions {
		out = append(out, ActionLine(a))
	}
	return out
}

// ActionLine says in one line what an action did, with its before and after
// values, for the thread and the header.
func ActionLine(a incident.ActionRecord) string {
	state := "applied"
	switch {
	case a.Error != "":
		state = "failed: " + a.Error
	case a.DryRun:
		state = "dry run"
	case a.Applied && !a.Changed:
		state = "already set"
	case !a.Applied:
		state = "not applied"
	}
	return fmt.Sprintf("%s %s %s: %d → %d (%s)", a.Name, a.Kind, a.Target, a.Prior, a.Planned, state)
}
