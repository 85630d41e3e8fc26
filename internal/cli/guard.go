package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/operator"
	"github.com/firebreak-dev/firebreak/workflows"
)

// pauseCommand is `firebreak pause`: the runtime kill switch. It returns
// once every incident holding a remediation slot has been told to stop.
// The switch lives in the Control workflow in Temporal, so it holds for
// every worker and across restarts until `firebreak resume`.
func pauseCommand() command {
	return command{
		synopsis: "kill switch: stop every remediation now, until resume (operator token)",
		hint:     "a reason goes in -reason",
		description: "Turn the kill switch on: no remediation starts an action once pause returns, " +
			"and every incident holding a remediation slot has been told to stop. The switch is " +
			"held in Temporal, so it applies to every worker and survives restarts, until " +
			"'firebreak resume'. Prints the guardrails' state afterwards. Exit status: 0 done, 1 " +
			"refused (unknown token, no operators, refused by the Control workflow), 2 a usage " +
			"error or a failed request.",
		flags: func(fs *flag.FlagSet) action {
			reason := fs.String("reason", "", fmt.Sprintf("why, shown to everyone who asks (at most %d bytes)", operator.MaxReasonBytes))
			return guardAction("pause", fs, http.MethodPost, operator.PathPause, func() any {
				return operator.PauseBody{Reason: *reason}
			})
		},
	}
}

// resumeCommand is `firebreak resume`: turns the kill switch off and ends
// storm mode.
func resumeCommand() command {
	return command{
		synopsis: "turn the kill switch off and end storm mode (operator token)",
		description: "Turn the kill switch off and end storm mode: remediations may start " +
			"again, within the other guardrails. Prints the guardrails' state afterwards. Exit " +
			"status as for pause.",
		flags: func(fs *flag.FlagSet) action {
			return guardAction("resume", fs, http.MethodPost, operator.PathResume, func() any { return operator.ResumeBody{} })
		},
	}
}

// guardrailsCommand is `firebreak guardrails`: the kill switch, storm mode
// and the remediation slots, as the Control workflow holds them.
func guardrailsCommand() command {
	return command{
		synopsis: "show the kill switch, storm mode and remediation slots (operator token)",
		description: "Show who paused automation and why, storm mode, and the remediation slots " +
			"in use and queued, as the Control workflow in Temporal holds them. Exit status as " +
			"for pause.",
		flags: func(fs *flag.FlagSet) action {
			return guardAction("guardrails", fs, http.MethodGet, operator.PathGuardrails, nil)
		},
	}
}

// guardAction declares the flags every kill-switch command shares and
// returns what runs it: exit 0 with the state printed, 1 when the API
// refuses (unknown token, no operators, refused by the control workflow),
// 2 when the request fails.
func guardAction(cmd string, fs *flag.FlagSet, method, path string, body func() any) action {
	op := addOperatorFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON state")
	return func(ctx context.Context, _ []string, stdio IO) int {
		token := op.token(cmd, stdio)
		if token == "" {
			return ExitError
		}
		var b any
		if body != nil {
			b = body()
		}
		out, code := op.send(ctx, cmd, stdio, method, path, token, b, http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict)
		if code != ExitOK {
			return code
		}
		if *asJSON {
			_, _ = stdio.Out.Write(out)
			return ExitOK
		}
		var st workflows.ControlState
		if err := json.Unmarshal(out, &st); err != nil {
			fmt.Fprintf(stdio.Err, "firebreak %s: decode the answer: %v\n", cmd, err)
			return ExitError
		}
		printControlState(stdio.Out, st, time.Now())
		return ExitOK
	}
}

// printControlState prints the guardrails' state for people.
func printControlState(w io.Writer, st workflows.ControlState, now time.Time) {
	var b strings.Builder
	if p := st.Paused; p != nil {
		fmt.Fprintf(&b, "automation:  PAUSED by %s since %s\n", p.By, when(p.At, now))
		if p.Reason != "" {
			fmt.Fprintf(&b, "  reason:    %s\n", p.Reason)
		}
	} else {
		b.WriteString("automation:  running\n")
	}
	if s := st.Storm; s != nil {
		fmt.Fprintf(&b, "storm:       %s since %s: %s, the last %s\n", s.ID, when(s.Since, now), plural(s.Count, "incident", "incidents"), when(s.LastOpened, now))
		if set := st.Settings; set.StormThreshold > 0 {
			fmt.Fprintf(&b, "  threshold: more than %d within %s; ends after %s without a new incident\n",
				set.StormThreshold, set.StormWindow, quietOf(set.StormQuiet, set.StormWindow))
		}
	} else {
		fmt.Fprintf(&b, "storm:       none (%s within the window)\n", plural(len(st.Recent), "incident", "incidents"))
	}
	if n := len(st.PastStorms); n > 0 {
		last := st.PastStorms[n-1]
		fmt.Fprintf(&b, "  previous:  %s, %s, ended %s (%s)\n", last.ID, plural(last.Count, "incident", "incidents"), when(last.Ended, now), last.EndedBy)
	}
	capText := "no cap"
	if c := st.Settings.MaxConcurrent; c > 0 {
		capText = fmt.Sprintf("cap %d", c)
	}
	fmt.Fprintf(&b, "slots:       %d in use (%s)\n", len(st.Holders), capText)
	for _, h := range st.Holders {
		fmt.Fprintf(&b, "  %s (%s) since %s\n", h.Request.IncidentID, h.Request.Runbook, when(h.Since, now))
	}
	fmt.Fprintf(&b, "queue:       %d waiting\n", len(st.Queue))
	for _, q := range st.Queue {
		fmt.Fprintf(&b, "  %s (%s)\n", q.IncidentID, q.Runbook)
	}
	_, _ = io.WriteString(w, b.String())
}

func quietOf(quiet, window time.Duration) time.Duration {
	if quiet > 0 {
		return quiet
	}
	return window
}

// when prints an instant in UTC and how long ago it was.
func when(t, now time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.RFC3339), now.Sub(t).Round(time.Second))
}
