package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/operator"
	"github.com/firebreak-dev/firebreak/workflows"
)

const goodToken = "alice-operator-token-0123"

// fakeGuardAPI answers like the receiver's kill-switch API, from a state it
// keeps, so the commands' exit codes and output can be checked without
// Temporal (internal/operator tests the real thing).
func fakeGuardAPI(t *testing.T, st *workflows.ControlState) *httptest.Server {
	t.Helper()
	reply := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+goodToken {
			reply(w, http.StatusUnauthorized, operator.ErrorBody{Error: "missing or unknown operator token"})
			return
		}
		switch r.Method + " " + r.URL.Path {
		case "POST " + operator.PathPause:
			var b operator.PauseBody
			if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
				reply(w, http.StatusBadRequest, operator.ErrorBody{Error: err.Error()})
				return
			}
			if b.Reason == "fail" {
				reply(w, http.StatusServiceUnavailable, operator.ErrorBody{Error: "temporal unreachable"})
				return
			}
			st.Paused = &workflows.PauseRecord{By: "operator:alice", Reason: b.Reason, At: time.Now().Add(-time.Minute)}
		case "POST " + operator.PathResume:
			st.Paused = nil
		case "GET " + operator.PathGuardrails:
		default:
			http.NotFound(w, r)
			return
		}
		reply(w, http.StatusOK, st)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGuardCommands(t *testing.T) {
	since := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	st := &workflows.ControlState{
		Storm:    &workflows.StormRecord{ID: "storm/20260504T030201Z", Since: since, LastOpened: since.Add(time.Minute), Count: 25},
		Holders:  []workflows.SlotHolder{{Request: workflows.SlotRequest{IncidentID: "pool/abc", Runbook: "pool"}, Since: since}},
		Queue:    []workflows.SlotRequest{{IncidentID: "pool/def", Runbook: "pool"}},
		Settings: workflows.ControlSettings{MaxConcurrent: 10, StormThreshold: 20, StormWindow: 5 * time.Minute},
	}
	api := fakeGuardAPI(t, st)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(goodToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	server := "--server=" + api.URL
	tests := []struct {
		name     string
		env      string
		args     []string
		code     int
		out, err []string
	}{
		{"pause with a token file", "", []string{"pause", server, "--token-file", tokenFile, "--reason", "db migration"}, ExitOK,
			[]string{"PAUSED by operator:alice since", "reason:    db migration"}, nil},
		{"guardrails from the environment", goodToken, []string{"guardrails", server}, ExitOK,
			[]string{"PAUSED by operator:alice", "storm:       storm/20260504T030201Z since 2026-05-04T03:02:01Z", "25 incidents",
				"more than 20 within 5m0s; ends after 5m0s", "slots:       1 in use (cap 10)", "pool/abc (pool)", "queue:       1 waiting"}, nil},
		{"raw JSON", goodToken, []string{"guardrails", server, "-json"}, ExitOK, []string{`"Paused":{"By":"operator:alice"`, `"Count":25`}, nil},
		{"resume", goodToken, []string{"resume", server}, ExitOK, []string{"automation:  running"}, nil},
		{"unknown token is refused", "mallory-token-0123456789", []string{"pause", server}, ExitFinding, nil,
			[]string{"refused: 401 Unauthorized: missing or unknown operator token"}},
		{"no token", "", []string{"guardrails", server, "--state", filepath.Dir(tokenFile)}, ExitError, nil, []string{"no operator token", "operator-token does not exist"}},
		{"stray argument", goodToken, []string{"pause", server, "db migration"}, ExitError, nil, []string{"a reason goes in -reason"}},
		{"server failure", goodToken, []string{"pause", server, "--reason", "fail"}, ExitError, nil, []string{"503 Service Unavailable: temporal unreachable"}},
		{"nobody listening", goodToken, []string{"guardrails", "--server=http://127.0.0.1:1"}, ExitError, nil, []string{"connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("FIREBREAK_OPERATOR_TOKEN", tt.env)
			var out, errOut bytes.Buffer
			code := Run(context.Background(), tt.args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut})
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
			for _, want := range tt.out {
				if !strings.Contains(out.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, out.String())
				}
			}
			for _, want := range tt.err {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
				}
			}
		})
	}
}
