package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"

	"github.com/firebreak-dev/firebreak/internal/operator"
)

// runDecide is `firebreak approve|deny ID` and `firebreak ack ID`: answers
// without Slack, through the receiver's operator API, authenticated by an
// operator token from firebreak.hcl's operator blocks. The incident records
// the decision exactly as it records a Slack click.
func runDecide(kind string) func(ctx context.Context, args []string, stdio IO) int {
	return func(ctx context.Context, args []string, stdio IO) int {
		fs := flag.NewFlagSet(kind, flag.ContinueOnError)
		fs.SetOutput(stdio.Err)
		op := addOperatorFlags(fs)
		approvalID := fs.String("approval", "", "the approval to answer (default: the pending one)")
		if err := fs.Parse(args); err != nil {
			return ExitError
		}
		if fs.NArg() != 1 {
			fmt.Fprintf(stdio.Err, "usage: firebreak %s [flags] INCIDENT_ID\n", kind)
			return ExitError
		}
		token := op.token(kind, stdio)
		if token == "" {
			return ExitError
		}
		body := operator.DecisionBody{IncidentID: fs.Arg(0), ApprovalID: *approvalID}
		path := operator.PathDecisions
		switch kind {
		case "approve", "deny":
			body.Decision = kind
		default:
			path = operator.PathAcks
		}
		// Only the incident's refusal (409) is a finding here; a token the
		// API refuses is an error, as it has always been for these commands.
		out, code := op.send(ctx, kind, stdio, http.MethodPost, path, token, body, http.StatusConflict)
		if code == ExitOK {
			_, _ = stdio.Out.Write(out)
		}
		return code
	}
}
