package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// operatorFlags are the flags of every command that calls the receiver's
// operator API: approve, deny, ack, pause, resume and guardrails.
type operatorFlags struct {
	server    *string
	tokenFile *string
	state     *string
}

func addOperatorFlags(fs *flag.FlagSet) operatorFlags {
	return operatorFlags{
		server:    fs.String("server", "http://127.0.0.1:9095", "the firebreak receiver's base URL"),
		tokenFile: fs.String("token-file", "", "file holding your operator token (default: $FIREBREAK_OPERATOR_TOKEN, then the dev operator's token under -state)"),
		state:     fs.String("state", defaultStateDir, "firebreak dev's state directory, whose "+devTokenFile+" is the token of last resort"),
	}
}

// token finds the operator token: -token-file, else
// FIREBREAK_OPERATOR_TOKEN, else the token `firebreak dev` wrote for its
// dev operator under -state. It prints why there is none and returns "".
func (f operatorFlags) token(cmd string, stdio IO) string {
	if *f.tokenFile != "" {
		b, err := os.ReadFile(*f.tokenFile)
		if err != nil {
			fmt.Fprintf(stdio.Err, "firebreak %s: read token file: %v\n", cmd, err)
			return ""
		}
		return strings.TrimRight(string(b), "\r\n")
	}
	if t := os.Getenv("FIREBREAK_OPERATOR_TOKEN"); t != "" {
		return t
	}
	path := filepath.Join(*f.state, devTokenFile)
	t, err := readDevToken(path)
	if err == nil {
		return t
	}
	if !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stdio.Err, "firebreak %s: %v\n", cmd, err)
		return ""
	}
	fmt.Fprintf(stdio.Err, "firebreak %s: no operator token: set FIREBREAK_OPERATOR_TOKEN or -token-file "+
		"(against firebreak dev, run from its directory or pass its -state: %s does not exist)\n", cmd, path)
	return ""
}

// call sends one request to the operator API (a JSON body when body is not
// nil) and returns the answer's status and body.
func (f operatorFlags) call(ctx context.Context, method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(*f.server, "/")+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, out, fmt.Errorf("read the answer: %w", err)
	}
	return resp.StatusCode, out, nil
}

// apiError is the message of an operator API error body, or the body as is.
func apiError(status int, body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return fmt.Sprintf("%d %s: %s", status, http.StatusText(status), e.Error)
	}
	return fmt.Sprintf("%d %s: %s", status, http.StatusText(status), strings.TrimSpace(string(body)))
}

// send calls the operator API for cmd and says how the command exits:
// ExitOK with the answer's body on 200, ExitFinding when the answer's
// status is one of refused, ExitError on any other answer or when the
// request fails. It prints why it did not succeed.
func (f operatorFlags) send(ctx context.Context, cmd string, stdio IO, method, path, token string, body any, refused ...int) ([]byte, int) {
	status, out, err := f.call(ctx, method, path, token, body)
	switch {
	case err != nil:
		fmt.Fprintf(stdio.Err, "firebreak %s: %v\n", cmd, err)
		return nil, ExitError
	case status == http.StatusOK:
		return out, ExitOK
	case slices.Contains(refused, status):
		fmt.Fprintf(stdio.Err, "firebreak %s: refused: %s\n", cmd, apiError(status, out))
		return nil, ExitFinding
	default:
		fmt.Fprintf(stdio.Err, "firebreak %s: %s\n", cmd, apiError(status, out))
		return nil, ExitError
	}
}
