package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/hcl/v2"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/workflows"
)

// incidentsOptions are the flags of `firebreak incidents list` and `show`.
type incidentsOptions struct {
	address, namespace, configPath string
	asJSON                         bool
	limit                          int
}

// incidentsFlags declares the flags of the incidents commands; only list
// has -limit.
func incidentsFlags(fs *flag.FlagSet, list bool) *incidentsOptions {
	o := &incidentsOptions{}
	fs.StringVar(&o.address, "address", "127.0.0.1:7233", "Temporal frontend address")
	fs.StringVar(&o.namespace, "namespace", "default", "Temporal namespace")
	fs.StringVar(&o.configPath, "config", "", "engine config file; its temporal block overrides -address/-namespace")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	if list {
		fs.IntVar(&o.limit, "limit", 50, "how many incidents")
	}
	return o
}

const incidentsListDescription = "List incidents, open and recent, with their status and when " +
	"they started and closed, straight from Temporal's visibility store."

// incidentsCommand is `firebreak incidents`: with no subcommand it lists,
// as it always has, so it takes list's flags.
func incidentsCommand() command {
	return command{
		synopsis: "list incidents, or show one's record and timeline (list, show INCIDENT_ID)",
		usage:    "[list | show INCIDENT_ID] [flags]",
		hint:     "the subcommands are list and show",
		description: "Read-only views of incidents, straight from Temporal: 'incidents list' lists " +
			"them, 'incidents show INCIDENT_ID' prints one's record and timeline. Without a " +
			"subcommand, incidents lists, and takes list's flags.",
		flags: incidentsListCommand().flags,
	}
}

// incidentsListCommand is `firebreak incidents list`.
func incidentsListCommand() command {
	return command{
		synopsis:    "list open and recent incidents",
		description: incidentsListDescription,
		flags: func(fs *flag.FlagSet) action {
			o := incidentsFlags(fs, true)
			return func(ctx context.Context, _ []string, stdio IO) int { return runIncidents(ctx, "list", *o, nil, stdio) }
		},
	}
}

// incidentsShowCommand is `firebreak incidents show INCIDENT_ID`.
func incidentsShowCommand() command {
	return command{
		synopsis: "show an incident's record and timeline",
		args:     "INCIDENT_ID",
		minArgs:  1,
		maxArgs:  1,
		description: "Print the record of the incident INCIDENT_ID: its runbook, phase and outcome, " +
			"diagnoses, actions, approval and escalations, and its timeline; the live state of a " +
			"running incident (the workflow's state query), the result of a finished one. Exit " +
			"status 1 when there is no such incident.",
		flags: func(fs *flag.FlagSet) action {
			o := incidentsFlags(fs, false)
			return func(ctx context.Context, args []string, stdio IO) int {
				return runIncidents(ctx, "show", *o, args, stdio)
			}
		},
	}
}

// runIncidents is `firebreak incidents list|show ID`: read-only views of
// incidents straight from Temporal (visibility for the list, the
// workflow's state query or result for one incident).
func runIncidents(ctx context.Context, sub string, o incidentsOptions, args []string, stdio IO) int {
	if o.configPath != "" {
		cfg, code := loadConfig(o.configPath, stdio)
		if code != ExitOK {
			return code
		}
		o.address, o.namespace = cfg.Temporal.Address, cfg.Temporal.Namespace
	}
	c, err := client.Dial(client.Options{HostPort: o.address, Namespace: o.namespace, Logger: quietLogger{}})
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak incidents: connect to temporal at %s: %v\n", o.address, err)
		return ExitError
	}
	defer c.Close()
	if sub == "show" {
		return showIncident(ctx, c, args[0], o.asJSON, stdio)
	}
	return listIncidents(ctx, c, o.limit, o.asJSON, stdio)
}

// IncidentSummary is one row of `firebreak incidents list`.
type IncidentSummary struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"`
	Started time.Time `json:"started"`
	Closed  time.Time `json:"closed,omitzero"`
}

func listIncidents(ctx context.Context, c client.Client, limit int, asJSON bool, stdio IO) int {
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query:    fmt.Sprintf("WorkflowType = '%s'", workflows.IncidentWorkflowName),
		PageSize: int32(limit),
	})
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak incidents: list: %v\n", err)
		return ExitError
	}
	rows := make([]IncidentSummary, 0, len(resp.Executions))
	for _, e := range resp.Executions {
		s := IncidentSummary{ID: e.Execution.WorkflowId, Status: statusName(e.Status), Started: e.StartTime.AsTime()}
		if e.CloseTime != nil {
			s.Closed = e.CloseTime.AsTime()
		}
		rows = append(rows, s)
	}
	if asJSON {
		return writeJSON(stdio.Out, rows)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INCIDENT\tSTATUS\tSTARTED\tCLOSED")
	for _, r := range rows {
		closed := "-"
		if !r.Closed.IsZero() {
			closed = r.Closed.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Started.UTC().Format(time.RFC3339), closed)
	}
	_ = tw.Flush()
	return ExitOK
}

// IncidentRecord returns the record of an incident: the live state of a
// running one, the result of a finished one.
func IncidentRecord(ctx context.Context, c client.Client, id string) (incident.State, error) {
	var st incident.State
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return st, fmt.Errorf("describe incident %s: %w", id, err)
	}
	if desc.WorkflowExecutionInfo.Status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING ||
		desc.WorkflowExecutionInfo.Status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryState)
		if err == nil {
			if err := v.Get(&st); err != nil {
				return st, fmt.Errorf("decode incident %s: %w", id, err)
			}
			return st, nil
		}
		if desc.WorkflowExecutionInfo.Status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return st, fmt.Errorf("query incident %s: %w", id, err)
		}
	}
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &st); err != nil {
		return st, fmt.Errorf("incident %s ended without a record: %w", id, err)
	}
	return st, nil
}

func showIncident(ctx context.Context, c client.Client, id string, asJSON bool, stdio IO) int {
	st, err := IncidentRecord(ctx, c, id)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			fmt.Fprintf(stdio.Err, "firebreak incidents: no incident %q\n", id)
			return ExitFinding
		}
		fmt.Fprintf(stdio.Err, "firebreak incidents: %v\n", err)
		return ExitError
	}
	if asJSON {
		return writeJSON(stdio.Out, st)
	}
	writeRecord(stdio.Out, st)
	return ExitOK
}

func writeRecord(w io.Writer, st incident.State) {
	fmt.Fprintf(w, "incident   %s\nrunbook    %s (sha256 %.12s)\nphase      %s\n", st.IncidentID, st.Runbook, st.RunbookSHA, st.Phase)
	if st.Outcome != "" {
		fmt.Fprintf(w, "outcome    %s: %s\n", st.Outcome, st.Reason)
	}
	fmt.Fprintf(w, "alert      %s %v (%d notifications)\n", st.AlertStatus, st.Alert.Labels, st.Notifications)
	if st.DryRun {
		fmt.Fprintln(w, "dry run    yes: nothing mutates")
	}
	for _, d := range st.Diagnosis {
		if d.Error != "" {
			fmt.Fprintf(w, "diagnosis  %s: error: %s\n", d.Name, d.Error)
			continue
		}
		fmt.Fprintf(w, "diagnosis  %s = %g (%d series)\n", d.Name, d.Value, d.Series)
	}
	for _, a := range st.Actions {
		fmt.Fprintf(w, "action     %s %s on %s: %d -> %d applied=%t dry_run=%t %s\n", a.Name, a.Kind, a.Target, a.Prior, a.Planned, a.Applied, a.DryRun, a.Error)
	}
	if a := st.Approval; a != nil {
		fmt.Fprintf(w, "approval   %s: %s (%d of %d approvals)", a.ID, a.Status, a.Approvals(), a.MinApprovals)
		for _, d := range a.Decisions {
			fmt.Fprintf(w, "; %s %s via %s at %s", d.By, d.Decision, d.Via, d.At.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(w)
	}
	for _, e := range st.Escalations {
		status := "delivered"
		if e.Error != "" {
			status = "failed: " + e.Error
		}
		fmt.Fprintf(w, "escalated  to %s: %s\n", e.Sink, status)
	}
	if n := len(st.Checks); n > 0 {
		last := st.Checks[n-1]
		fmt.Fprintf(w, "verify     %s after %d checks (last: %g passed=%t)\n", st.Verification, n, last.Value, last.Passed)
	}
	fmt.Fprintln(w, "timeline:")
	for _, e := range st.Timeline {
		fmt.Fprintf(w, "  %s  %-12s %s\n", e.At.UTC().Format("15:04:05.000"), e.Kind, e.Message)
	}
}

func statusName(s enums.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

func writeJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return ExitError
	}
	return ExitOK
}

// writeDiags prints diagnostics in the one-line file:line:col form.
func writeDiags(w io.Writer, diags hcl.Diagnostics) {
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		pos := ""
		if d.Subject != nil {
			pos = fmt.Sprintf("%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		if d.Detail != "" {
			fmt.Fprintf(w, "%s%s: %s: %s\n", pos, sev, d.Summary, d.Detail)
		} else {
			fmt.Fprintf(w, "%s%s: %s\n", pos, sev, d.Summary)
		}
	}
}

// quietLogger silences the SDK client's logging in short CLI commands.
type quietLogger struct{}

func (quietLogger) Debug(string, ...interface{}) {}
func (quietLogger) Info(string, ...interface{})  {}
func (quietLogger) Warn(string, ...interface{})  {}
func (quietLogger) Error(string, ...interface{}) {}
