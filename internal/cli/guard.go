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

// runPause is `firebreak pause`: the runtime kill switch. It returns once
// every incident holding a remediation slot has been told to stop. The
// switch lives in the Control workflow in Temporal, so it holds for every
// worker and across restarts until `firebreak resume`.
func runPause(ctx context.Context, args []string, stdio IO) int {
	fs := flag.NewFlagSet("pause", flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	reason := fs.String("reason", "", fmt.Sprintf("why, shown to everyone who asks (at most %d bytes)", operator.MaxReasonBytes))
	return runGuard(ctx, "pause", fs, args, stdio, http.MethodPost, operator.PathPause, func() any {
		return operator.PauseBody{Reason: *reason}
	})
}

// runResume is `firebreak resume`: turns the kill switch off and ends storm
// mode.
func runResume(ctx context.Context, args []string, stdio IO) int {
	fs := flag.NewFlagSet("resume", flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	return runGuard(ctx, "resume", fs, args, stdio, http.MethodPost, operator.PathResume, func() any { return operator.ResumeBody{} })
}

// runGuardrails is `firebreak guardrails`: the kill switch, storm mode and
// the remediation slots, as the Control workflow holds them.
func runGuardrails(ctx context.Context, args []string, stdio IO) int {
	fs := flag.NewFlagSet("guardrails", flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	return runGuard(ctx, "guardrails", fs, args, stdio, http.MethodGet, operator.PathGuardrails, nil)
}

// runGuard runs one kill-switch command: exit 0 with the state printed, 1
// when the API refuses (unknown token, no operators, refused by the control
// workflow), 2 on a usage error or when the request fails.
func runGuard(ctx context.Context, cmd string, fs *flag.FlagSet, args []string, stdio IO, method, path string, body func() any) int {
	op := addOperatorFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON state")
	if err := fs.Parse(args); err != nil {
		return ExitError
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stdio.Err, "firebreak %s: unexpected argument %q (a reason goes in --reason)\n", cmd, fs.Arg(0))
		return ExitError
	}
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
		fmt.Fprintf(&b, "storm:       %s since %s: %d incidents, the last %s\n", s.ID, when(s.Since, now), s.Count, when(s.LastOpened, now))
		if set := st.Settings; set.StormThreshold > 0 {
			fmt.Fprintf(&b, "  threshold: more than %d within %s; ends after %s without a new incident\n",
				set.StormThreshold, set.StormWindow, quietOf(set.StormQuiet, set.StormWindow))
		}
	} else {
		fmt.Fprintf(&b, "storm:       none (%d incidents within the window)\n", len(st.Recent))
	}
	if n := len(st.PastStorms); n > 0 {
		last := st.PastStorms[n-1]
		fmt.Fprintf(&b, "  previous:  %s, %d incidents, ended %s (%s)\n", last.ID, last.Count, when(last.Ended, now), last.EndedBy)
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
