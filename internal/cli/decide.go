package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"

	"github.com/firebreak-dev/firebreak/internal/approvals"
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
		body := approvals.DecisionBody{IncidentID: fs.Arg(0), ApprovalID: *approvalID}
		path := "/api/v1/decisions"
		switch kind {
		case "approve", "deny":
			body.Decision = kind
		default:
			path = "/api/v1/acks"
		}
		status, out, err := op.call(ctx, http.MethodPost, path, token, body)
		if err != nil {
			fmt.Fprintf(stdio.Err, "firebreak %s: %v\n", kind, err)
			return ExitError
		}
		switch status {
		case http.StatusOK:
			_, _ = stdio.Out.Write(out)
			return ExitOK
		case http.StatusConflict:
			fmt.Fprintf(stdio.Err, "firebreak %s: refused: %s\n", kind, apiError(status, out))
			return ExitFinding
		default:
			fmt.Fprintf(stdio.Err, "firebreak %s: %s\n", kind, apiError(status, out))
			return ExitError
		}
	}
}
