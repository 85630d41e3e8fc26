package incident

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteShow prints an incident's record as `firebreak incidents show`
// does: the outcome first, then the runbook, phase, alert, evidence,
// actions, approval, escalations, verification and the timeline.
//
// The same error reaches the record several times (the diagnosis that
// failed, the escalation's reason, the outcome, timeline lines). Each
// distinct error is printed in full once, where it is first mentioned,
// numbered ("[1] prom query: no prometheus is configured
// (prometheus-not-configured)"), and every later mention is its number
// ("[1]"). The Temporal SDK's decoration of errors is left out and their
// type kept once.
func WriteShow(w io.Writer, st State) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	refs := newErrorRefs(st)

	p("incident   %s\n", st.IncidentID)
	if st.Outcome != "" {
		p("outcome    %s: %s\n", st.Outcome, refs.text(st.Reason))
	}
	p("runbook    %s (sha256 %.12s)\n", st.Runbook, st.RunbookSHA)
	p("phase      %s\n", st.Phase)
	p("started    %s\n", stamp(st.StartedAt))
	if !st.ClosedAt.IsZero() {
		p("closed     %s\n", stamp(st.ClosedAt))
	}
	p("alert      %s %s (%d notifications)\n", st.AlertStatus, labelText(st.Alert.Labels), st.Notifications)
	if st.Storm != "" {
		p("storm      grouped into %s\n", st.Storm)
	}
	if st.DryRun {
		p("dry run    yes: nothing mutates\n")
	}
	for _, d := range st.Diagnosis {
		switch {
		case d.Error != "":
			p("diagnosis  %s: error %s\n", d.Name, refs.ref(d.Error))
		case d.Summary != "":
			p("diagnosis  %s: %s\n", d.Name, OneLine(d.Summary))
		default:
			p("diagnosis  %s = %g (%d series)\n", d.Name, d.Value, d.Series)
		}
	}
	if st.Remediation != "" {
		p("remediate  %s\n", st.Remediation)
	}
	for _, a := range st.Actions {
		from, to := fmt.Sprint(a.Prior), fmt.Sprint(a.Planned)
		if a.Before != "" || a.After != "" {
			from, to = a.Before, a.After
		}
		p("action     %s %s on %s: %s -> %s applied=%t dry_run=%t", a.Name, a.Kind, a.Target, from, to, a.Applied, a.DryRun)
		if a.Error != "" {
			p(" error %s", refs.ref(a.Error))
		}
		switch {
		case a.Restored:
			p("; restored")
		case a.RestoreError != "":
			p("; restore failed: %s", refs.ref(a.RestoreError))
		}
		p("\n")
	}
	if a := st.Approval; a != nil {
		p("approval   %s: %s (%d of %d approvals)", a.ID, a.Status, a.Approvals(), a.MinApprovals)
		for _, d := range a.Decisions {
			p("; %s %s via %s at %s", d.By, d.Decision, d.Via, stamp(d.At))
		}
		p("\n")
	}
	if a := st.Acknowledged; a != nil {
		p("acked      by %s via %s at %s\n", a.By, a.Via, stamp(a.At))
	}
	for _, e := range st.Escalations {
		status := "delivered"
		if e.Error != "" {
			status = "failed: " + refs.ref(e.Error)
		}
		if e.Attempts > 1 {
			status += fmt.Sprintf(" (%d attempts)", e.Attempts)
		}
		p("escalated  to %s: %s\n", e.Sink, status)
	}
	if n := len(st.Checks); n > 0 {
		last := st.Checks[n-1]
		p("verify     %s after %d checks (last: %g passed=%t", st.Verification, n, last.Value, last.Passed)
		if last.Error != "" {
			p(" error %s", refs.ref(last.Error))
		}
		p(")\n")
	} else if st.Verification != "" {
		p("verify     %s\n", st.Verification)
	}
	p("timeline:\n")
	for _, e := range st.Timeline {
		p("  %s  %-12s %s\n", e.At.UTC().Format("15:04:05.000"), e.Kind, refs.text(e.Message))
	}
	return bw.Flush()
}

// stamp is a time in the show view: UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// labelText is an alert's labels as Prometheus writes them, sorted.
func labelText(ls map[string]string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, ls[k])
	}
	b.WriteByte('}')
	return b.String()
}

// errorRefs numbers the distinct errors of one record in the order the
// show view first mentions them.
type errorRefs struct {
	known []string       // every error the record holds, longest first
	num   map[string]int // error → its number, once mentioned
}

// newErrorRefs collects the errors st records in its structured fields;
// free text (reasons, timeline lines) embeds the same strings.
func newErrorRefs(st State) *errorRefs {
	seen := map[string]bool{}
	r := &errorRefs{num: map[string]int{}}
	add := func(e string) {
		if e != "" && !seen[e] {
			seen[e] = true
			r.known = append(r.known, e)
		}
	}
	for _, d := range st.Diagnosis {
		add(d.Error)
	}
	for _, a := range st.Actions {
		add(a.Error)
		add(a.RestoreError)
	}
	for _, c := range st.Checks {
		add(c.Error)
	}
	for _, e := range st.Escalations {
		add(e.Error)
	}
	// Longest first, so that an error that is part of a longer one never
	// takes the longer one's place.
	sort.SliceStable(r.known, func(i, j int) bool { return len(r.known[i]) > len(r.known[j]) })
	return r
}

// ref is how the view mentions a recorded error: in full with its new
// number the first time, by number afterwards.
func (r *errorRefs) ref(raw string) string {
	if n, ok := r.num[raw]; ok {
		return fmt.Sprintf("[%d]", n)
	}
	n := len(r.num) + 1
	r.num[raw] = n
	return fmt.Sprintf("[%d] %s", n, FormatError(raw))
}

// text is free text with each recorded error it embeds replaced by its
// mention, and the SDK's decoration removed from any other error in it.
// An error counts as embedded where the text introduces one (at its start
// or after ": " or "(") and it ends there (at the end of the text, or
// before ";", ")" or ",").
func (r *errorRefs) text(s string) string {
	var b, plain strings.Builder
	flush := func() {
		b.WriteString(HumanText(plain.String()))
		plain.Reset()
	}
	for i := 0; i < len(s); {
		if i == 0 || strings.HasSuffix(s[:i], ": ") || s[i-1] == '(' {
			if e := r.embedded(s[i:]); e != "" {
				flush()
				b.WriteString(r.ref(e))
				i += len(e)
				continue
			}
		}
		plain.WriteByte(s[i])
		i++
	}
	flush()
	return b.String()
}

// embedded returns the recorded error s starts with, or "".
func (r *errorRefs) embedded(s string) string {
	for _, e := range r.known {
		if !strings.HasPrefix(s, e) {
			continue
		}
		if rest := s[len(e):]; rest == "" || strings.ContainsRune(";),", rune(rest[0])) {
			return e
		}
	}
	return ""
}
