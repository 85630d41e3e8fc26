package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
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
	filter                         incident.ListFilter
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
		fs.IntVar(&o.limit, "limit", 50, "how many incidents, newest first")
		fs.StringVar(&o.filter.Outcome, "outcome", "", "only incidents in this state or with this outcome: "+strings.Join(incident.FilterStates(), ", "))
		fs.StringVar(&o.filter.Runbook, "runbook", "", "only the incidents of this runbook")
		fs.BoolVar(&o.filter.Open, "open", false, "only incidents without an outcome yet")
	}
	return o
}

const incidentsListDescription = "List incidents, newest first, outcomes first: each one's state " +
	"(resolved, escalated, grouped, stopped, or its phase while it has no outcome: diagnosing, " +
	"awaiting approval, verifying...), the reason in short, its runbook and service, and its age. " +
	"Read from Temporal's visibility store (each incident keeps this in its memo), so it costs " +
	"one request per page however many incidents there are. -json keeps every field."

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
	return listIncidents(ctx, c, o.filter, o.limit, o.asJSON, stdio)
}

// listScanMax bounds how many incidents one list reads from Temporal to
// fill -limit rows: the filters on the memo run here, not on the server,
// and a storm's 10,000 incidents must not make one `incidents list -outcome
// grouped` read them all.
const listScanMax = 5000

func listIncidents(ctx context.Context, c client.Client, f incident.ListFilter, limit int, asJSON bool, stdio IO) int {
	if limit <= 0 {
		fmt.Fprintln(stdio.Err, "firebreak incidents list: -limit must be at least 1")
		return ExitError
	}
	query, err := f.Query(workflows.IncidentWorkflowName)
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak incidents list: %v\n", err)
		return ExitError
	}
	rows := make([]incident.Summary, 0, min(limit, 100))
	var token []byte
	scanned := 0
	for len(rows) < limit && scanned < listScanMax {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: int32(min(max(limit, 100), 1000)), NextPageToken: token,
		})
		if err != nil {
			fmt.Fprintf(stdio.Err, "firebreak incidents list: %v\n", err)
			return ExitError
		}
		for _, e := range resp.Executions {
			scanned++
			if s := incident.SummaryFromExecution(e); f.Match(s) && len(rows) < limit {
				rows = append(rows, s)
			}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			break
		}
	}
	if asJSON {
		return writeJSON(stdio.Out, rows)
	}
	if err := incident.WriteList(stdio.Out, rows, time.Now()); err != nil {
		fmt.Fprintf(stdio.Err, "firebreak incidents list: %v\n", err)
		return ExitError
	}
	if len(token) > 0 && len(rows) < limit {
		fmt.Fprintf(stdio.Err, "firebreak incidents list: read the newest %d incidents; older ones were not searched\n", scanned)
	}
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
	if err := incident.WriteShow(stdio.Out, st); err != nil {
		fmt.Fprintf(stdio.Err, "firebreak incidents: %v\n", err)
		return ExitError
	}
	return ExitOK
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
