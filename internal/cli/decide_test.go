package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/approvals"
	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/operator"
	"github.com/firebreak-dev/firebreak/workflows"
)

// incidents is what the real operator API decides on in these tests: it
// answers as the incident workflow's updates do (internal/e2e runs them
// for real), so the commands read real answers from the real receiver.
type incidents struct {
	mu       sync.Mutex
	approval map[string]*incident.ApprovalRecord
	acks     map[string]*incident.Acknowledgement
	requests []workflows.DecisionRequest
}

var asked = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

func (f *incidents) Decide(_ context.Context, id string, d workflows.DecisionRequest) (incident.ApprovalRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, d)
	a := f.approval[id]
	if a == nil || a.Status != incident.ApprovalPending {
		return incident.ApprovalRecord{}, &approvals.RefusedError{Reason: workflows.ErrNoPendingApproval.Error(), Metric: "decision_rejected"}
	}
	a.Decisions = append(a.Decisions, incident.Decision{Decision: d.Decision, By: "operator:" + d.Operator, Via: d.Via, At: asked.Add(time.Minute)})
	switch {
	case d.Decision == "deny":
		a.Status = incident.ApprovalDenied
	case a.Approvals() >= a.MinApprovals:
		a.Status = incident.ApprovalApproved
	}
	return *a, nil
}

func (f *incidents) Acknowledge(_ context.Context, id string, ack workflows.AckRequest) (incident.Acknowledgement, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.acks[id] == nil {
		f.acks[id] = &incident.Acknowledgement{By: ack.By, Via: ack.Via, At: asked.Add(2 * time.Minute)}
	}
	return *f.acks[id], nil
}

func pending(min int) *incident.ApprovalRecord {
	return &incident.ApprovalRecord{
		ID: "grow-pool-1", Remediation: "grow-pool", Approvers: []string{"U1"}, MinApprovals: min, OnExpiry: "escalate",
		RequestedAt: asked, ExpiresAt: asked.Add(30 * time.Minute), Status: incident.ApprovalPending,
	}
}

// TestDecideAnswers: approve, deny and ack say what happened in one
// sentence, -json prints the answer with snake_case keys, and the exit
// codes stay: 409 is a finding, a refused token an error.
func TestDecideAnswers(t *testing.T) {
	f := &incidents{
		approval: map[string]*incident.ApprovalRecord{"pool/one": pending(1), "pool/two": pending(2), "pool/deny": pending(1), "pool/json": pending(1)},
		acks:     map[string]*incident.Acknowledgement{},
	}
	api := operator.New(operator.Options{
		Operators: []bearer.Operator{{Name: "alice", Token: goodToken}},
		Decider:   f, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	server := "-server=" + srv.URL
	t.Setenv("FIREBREAK_OPERATOR_TOKEN", goodToken)

	tests := []struct {
		name string
		args []string
		code int
		out  string // the whole of stdout, for sentences
		err  string
	}{
		{"approve, quorum reached", []string{"approve", server, "pool/one"}, ExitOK,
			`approved approval grow-pool-1 of incident pool/one (1 of 1 approval): remediation "grow-pool" runs now` + "\n", ""},
		{"approve, one more needed", []string{"approve", server, "-approval", "grow-pool-1", "pool/two"}, ExitOK,
			`approved approval grow-pool-1 of incident pool/two: 1 of 2 approvals so far; remediation "grow-pool" waits for 1 more until 2026-05-04T03:32:01Z` + "\n", ""},
		{"deny", []string{"deny", server, "pool/deny"}, ExitOK,
			`denied approval grow-pool-1 of incident pool/deny: remediation "grow-pool" will not run and the incident escalates` + "\n", ""},
		{"ack", []string{"ack", server, "pool/one"}, ExitOK,
			"acknowledged incident pool/one (by operator:alice via api at 2026-05-04T03:04:01Z): delayed escalation steps are skipped\n", ""},
		{"nothing pending is a finding", []string{"approve", server, "pool/one"}, ExitFinding, "",
			"firebreak approve: refused: 409 Conflict: no approval is pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != tt.code || out != tt.out || !strings.Contains(errOut, tt.err) {
				t.Errorf("exit %d, want %d\nstdout: %q\nwant:   %q\nstderr: %s (want %q)", code, tt.code, out, tt.out, errOut, tt.err)
			}
		})
	}
	if r := f.requests[1]; r.ApprovalID != "grow-pool-1" || r.Operator != "alice" || r.Via != workflows.ViaAPI {
		t.Errorf("-approval did not reach the incident: %+v", r)
	}

	t.Run("approve -json", func(t *testing.T) {
		code, out, errOut := run(t, "approve", server, "-json", "pool/json")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		want := map[string]any{"incident_id": "pool/json", "approval_id": "grow-pool-1", "remediation": "grow-pool", "status": "approved",
			"approvals": 1.0, "min_approvals": 1.0, "on_expiry": "escalate", "requested_at": "2026-05-04T03:02:01Z"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		ds, _ := got["decisions"].([]any)
		if len(ds) != 1 || ds[0].(map[string]any)["by"] != "operator:alice" || ds[0].(map[string]any)["via"] != "api" {
			t.Errorf("decisions = %v", got["decisions"])
		}
	})
	t.Run("ack -json", func(t *testing.T) {
		code, out, errOut := run(t, "ack", server, "-json", "pool/one")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		want := map[string]any{"incident_id": "pool/one", "by": "operator:alice", "via": "api", "at": "2026-05-04T03:04:01Z"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
	})
	t.Run("a token the API refuses is an error", func(t *testing.T) {
		t.Setenv("FIREBREAK_OPERATOR_TOKEN", "mallory-token-0123456789")
		if code, _, errOut := run(t, "ack", server, "pool/one"); code != ExitError || !strings.Contains(errOut, "401 Unauthorized") {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})
}
