package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

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
		server := fs.String("server", "http://127.0.0.1:9095", "the firebreak receiver's base URL")
		tokenFile := fs.String("token-file", "", "file holding your operator token (default: $FIREBREAK_OPERATOR_TOKEN)")
		approvalID := fs.String("approval", "", "the approval to answer (default: the pending one)")
		if err := fs.Parse(args); err != nil {
			return ExitError
		}
		if fs.NArg() != 1 {
			fmt.Fprintf(stdio.Err, "usage: firebreak %s [flags] INCIDENT_ID\n", kind)
			return ExitError
		}
		token := os.Getenv("FIREBREAK_OPERATOR_TOKEN")
		if *tokenFile != "" {
			b, err := os.ReadFile(*tokenFile)
			if err != nil {
				fmt.Fprintf(stdio.Err, "firebreak %s: read token file: %v\n", kind, err)
				return ExitError
			}
			token = strings.TrimRight(string(b), "\r\n")
		}
		if token == "" {
			fmt.Fprintf(stdio.Err, "firebreak %s: no operator token: set FIREBREAK_OPERATOR_TOKEN or --token-file\n", kind)
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
		raw, _ := json.Marshal(body)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*server, "/")+path, bytes.NewReader(raw))
		if err != nil {
			fmt.Fprintf(stdio.Err, "firebreak %s: %v\n", kind, err)
			return ExitError
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintf(stdio.Err, "firebreak %s: %v\n", kind, err)
			return ExitError
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		switch resp.StatusCode {
		case http.StatusOK:
			_, _ = stdio.Out.Write(out)
			return ExitOK
		case http.StatusConflict:
			fmt.Fprintf(stdio.Err, "firebreak %s: refused: %s", kind, out)
			return ExitFinding
		default:
			fmt.Fprintf(stdio.Err, "firebreak %s: %s: %s", kind, resp.Status, out)
			return ExitError
		}
	}
}
