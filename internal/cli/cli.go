// Package cli implements firebreak's subcommands. Run never touches process
// signals or os.Exit, so tests and benchmarks can embed it; cmd/firebreak
// owns both.
package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/hclcmd"
)

// Exit codes, as documented in the README: 0 success, 1 a finding, 2 a usage
// or runtime error.
const (
	ExitOK      = 0
	ExitFinding = 1
	ExitError   = 2
)

// IO is where a command reads and writes.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdio IO) int
}

var commands = map[string]command{
	"dev":        {"run everything in one process on an embedded Temporal server", runDev},
	"serve":      {"run the receiver and/or worker against an existing Temporal cluster", runServe},
	"validate":   {"check runbooks and engine config; exit 1 with diagnostics when invalid", func(_ context.Context, a []string, s IO) int { return hclcmd.Validate(a, s.Out, s.Err) }},
	"fmt":        {"rewrite runbooks in canonical HCL format (-check, -diff, -write)", func(_ context.Context, a []string, s IO) int { return hclcmd.Fmt(a, s.In, s.Out, s.Err) }},
	"incidents":  {"list incidents, or show one's record and timeline", runIncidents},
	"approve":    {"approve the pending approval of an incident (operator token)", runDecide("approve")},
	"deny":       {"deny the pending approval of an incident (operator token)", runDecide("deny")},
	"ack":        {"acknowledge an incident: delayed escalation steps are skipped", runDecide("ack")},
	"pause":      {"kill switch: stop every remediation now, until resume (operator token)", runPause},
	"resume":     {"turn the kill switch off and end storm mode (operator token)", runResume},
	"guardrails": {"show the kill switch, storm mode and remediation slots (operator token)", runGuardrails},
	"bench":      {"measure intake latency and alert-to-action time on an embedded server", runBench},
	"version": {"print the version", func(_ context.Context, _ []string, s IO) int {
		fmt.Fprintln(s.Out, "firebreak", Version)
		return ExitOK
	}},
}

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

// Run runs the subcommand named by args[0].
func Run(ctx context.Context, args []string, stdio IO) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdio.Out)
		if len(args) == 0 {
			return ExitError
		}
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stdio.Err, "firebreak: unknown command %q\n\n", args[0])
		usage(stdio.Err)
		return ExitError
	}
	return cmd.run(ctx, args[1:], stdio)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: firebreak <command> [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-11s %s\n", n, commands[n].summary)
	}
	b.WriteString("\nRun 'firebreak <command> -h' for a command's flags.\n")
	_, _ = io.WriteString(w, b.String())
}
