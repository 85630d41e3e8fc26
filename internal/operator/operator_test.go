package operator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/internal/approvals"
	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/guard"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/workflows"
)

// The domain refusals the API answers 409.
var (
	_ Refusal = (*approvals.RefusedError)(nil)
	_ Refusal = (*guard.RejectedError)(nil)
	_ Decider = (*approvals.Service)(nil)
	_ Switch  = (*guard.Service)(nil)
)

const aliceToken = "alice-operator-token-0123"

// fake stands in for approvals and guard: it records every call that
// would have reached Temporal and answers with err when set.
type fake struct {
	mu    sync.Mutex
	calls []string
	args  []any
	err   error
}

func (f *fake) record(call string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	f.args = append(f.args, arg)
	return f.err
}

// reset forgets the calls so far and sets what the next ones answer.
func (f *fake) reset(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.args, f.err = nil, nil, err
}

// seen returns the calls so far and their arguments.
func (f *fake) seen() ([]string, []any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.args
}

func (f *fake) Decide(_ context.Context, id string, d workflows.DecisionRequest) (incident.ApprovalRecord, error) {
	return incident.ApprovalRecord{ID: "a1", Status: incident.ApprovalApproved}, f.record("decide "+id, d)
}

func (f *fake) Acknowledge(_ context.Context, id string, a workflows.AckRequest) (incident.Acknowledgement, error) {
	return incident.Acknowledgement{By: a.By}, f.record("ack "+id, a)
}

func (f *fake) Pause(_ context.Context, by, reason string) (workflows.ControlState, error) {
	return workflows.ControlState{Paused: &workflows.PauseRecord{By: by, Reason: reason}}, f.record("pause", by+" "+reason)
}

func (f *fake) Resume(_ context.Context, by string) (workflows.ControlState, error) {
	return workflows.ControlState{}, f.record("resume", by)
}

func (f *fake) Status(context.Context) (workflows.ControlState, error) {
	return workflows.ControlState{}, f.record("status", nil)
}

// refused is a domain refusal like approvals.RefusedError.
type refused struct{}

func (refused) Error() string         { return "no approval is pending" }
func (refused) RefusalMetric() string { return "decision_rejected" }

type harness struct {
	url  string // an API with alice as its operator
	off  string // an API with no operators
	fake *fake
	m    *metrics.Metrics
	logs *logBuffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{fake: &fake{}, m: metrics.New(), logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(h.logs, nil))
	for _, srv := range []struct {
		url *string
		ops []bearer.Operator
	}{{&h.url, []bearer.Operator{{Name: "alice", Token: aliceToken}}}, {&h.off, nil}} {
		s := httptest.NewServer(New(Options{Operators: srv.ops, Decider: h.fake, Switch: h.fake, Log: log, Metrics: h.m}))
		t.Cleanup(s.Close)
		*srv.url = s.URL
	}
	return h
}

// logBuffer collects the test servers' logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}

type request struct {
	method, path, token, body string
	chunked                   bool // send the body without a Content-Length
}

func (h *harness) do(t *testing.T, base string, rq request) *http.Response {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
		if rq.chunked {
			body = io.MultiReader(body) // hides the length from net/http
		}
	}
	req, err := http.NewRequest(rq.method, base+rq.path, body)
	require.NoError(t, err)
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestRefusals: every way a request is refused answers its status and one
// JSON error body, is logged and counted under its reason, and never
// reaches Temporal.
func TestRefusals(t *testing.T) {
	h := newHarness(t)
	big := `{"reason":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	tests := []struct {
		name   string
		off    bool // ask the API with no operators
		req    request
		status int
		reason string
	}{
		{"no operators configured", true, request{"POST", PathPause, aliceToken, `{}`, false}, 403, "operator_api_disabled"},
		{"no operators configured, decisions", true, request{"POST", PathDecisions, aliceToken, `{"incident_id":"x","decision":"approve"}`, false}, 403, "operator_api_disabled"},
		{"no token", false, request{"POST", PathPause, "", `{}`, false}, 401, "operator_unauthorized"},
		{"no token, acks", false, request{"POST", PathAcks, "", `{"incident_id":"x"}`, false}, 401, "operator_unauthorized"},
		{"unknown token", false, request{"POST", PathDecisions, "mallory-token-0123456789", `{"incident_id":"x","decision":"approve"}`, false}, 401, "operator_unauthorized"},
		{"unknown token reading", false, request{"GET", PathGuardrails, "mallory-token-0123456789", ``, false}, 401, "operator_unauthorized"},
		{"wrong method", false, request{"GET", PathPause, aliceToken, ``, false}, 405, "operator_method_not_allowed"},
		{"wrong method, decisions", false, request{"PUT", PathDecisions, aliceToken, `{}`, false}, 405, "operator_method_not_allowed"},
		{"wrong method, guardrails", false, request{"POST", PathGuardrails, aliceToken, `{}`, false}, 405, "operator_method_not_allowed"},
		{"unknown path", false, request{"POST", "/api/v1/nothing", aliceToken, `{}`, false}, 404, "operator_not_found"},
		{"too large", false, request{"POST", PathPause, aliceToken, big, false}, 413, "operator_too_large"},
		{"too large without a length", false, request{"POST", PathPause, aliceToken, big, true}, 413, "operator_too_large"},
		{"too large, decisions", false, request{"POST", PathDecisions, aliceToken, `{"incident_id":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, true}, 413, "operator_too_large"},
		{"too large after the object", false, request{"POST", PathResume, aliceToken, `{}` + strings.Repeat(" ", MaxBodyBytes), true}, 413, "operator_too_large"},
		// Found by FuzzAPI: malformed within the limit, over it in all.
		{"too large and malformed early", false, request{"POST", PathResume, aliceToken, "x" + strings.Repeat(" ", MaxBodyBytes+1), true}, 413, "operator_too_large"},
		{"too large, two objects", false, request{"POST", PathResume, aliceToken, "{} {}" + strings.Repeat(" ", MaxBodyBytes), true}, 413, "operator_too_large"},
		{"malformed", false, request{"POST", PathPause, aliceToken, `{"reason":`, false}, 400, "operator_malformed"},
		{"malformed, decisions", false, request{"POST", PathDecisions, aliceToken, `{"incident_id":`, false}, 400, "operator_malformed"},
		{"not an object", false, request{"POST", PathAcks, aliceToken, `["x"]`, false}, 400, "operator_malformed"},
		{"unknown field", false, request{"POST", PathPause, aliceToken, `{"reason":"x","force":true}`, false}, 400, "operator_malformed"},
		{"unknown field, decisions", false, request{"POST", PathDecisions, aliceToken, `{"incident_id":"x","decision":"approve","force":true}`, false}, 400, "operator_malformed"},
		{"trailing data", false, request{"POST", PathResume, aliceToken, `{} {}`, false}, 400, "operator_malformed"},
		{"two values, decisions", false, request{"POST", PathDecisions, aliceToken, `{"incident_id":"x","decision":"approve"} {"incident_id":"y","decision":"deny"}`, false}, 400, "operator_malformed"},
		{"no body, decisions", false, request{"POST", PathDecisions, aliceToken, ``, false}, 400, "operator_malformed"},
		{"no incident", false, request{"POST", PathAcks, aliceToken, `{}`, false}, 400, "operator_malformed"},
		{"long incident", false, request{"POST", PathAcks, aliceToken, `{"incident_id":"` + strings.Repeat("x", MaxIncidentIDBytes+1) + `"}`, false}, 400, "operator_malformed"},
		{"no decision", false, request{"POST", PathDecisions, aliceToken, `{"incident_id":"x"}`, false}, 400, "operator_malformed"},
		{"unknown decision", false, request{"POST", PathDecisions, aliceToken, `{"incident_id":"x","decision":"maybe"}`, false}, 400, "operator_malformed"},
		{"long reason", false, request{"POST", PathPause, aliceToken, `{"reason":"` + strings.Repeat("x", MaxReasonBytes+1) + `"}`, false}, 400, "operator_malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.logs.Reset()
			h.fake.reset(nil)
			before := refusals(t, h.m, tt.reason)
			base := h.url
			if tt.off {
				base = h.off
			}
			resp := h.do(t, base, tt.req)
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tt.status, resp.StatusCode, "body %s", raw)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var e ErrorBody
			require.NoError(t, json.Unmarshal(raw, &e), "body %s", raw)
			assert.NotEmpty(t, e.Error)
			assert.Equal(t, before+1, refusals(t, h.m, tt.reason), "firebreak_refusals_total{reason=%q}", tt.reason)
			assert.Contains(t, h.logs.String(), "operator request refused")
			assert.Contains(t, h.logs.String(), "reason="+tt.reason)
			assert.Contains(t, h.logs.String(), "path="+tt.req.path)
			calls, _ := h.fake.seen()
			assert.Empty(t, calls, "a refused request reached Temporal")
			switch tt.status {
			case http.StatusUnauthorized:
				assert.Equal(t, `Bearer realm="firebreak"`, resp.Header.Get("WWW-Authenticate"))
			case http.StatusMethodNotAllowed:
				assert.NotEmpty(t, resp.Header.Get("Allow"))
			}
		})
	}
}

// TestAnswers: what each endpoint hands the domain, and how the domain's
// answers (a result, a refusal, a failure) reach the caller.
func TestAnswers(t *testing.T) {
	h := newHarness(t)
	failure := errors.New("temporal unreachable")
	tests := []struct {
		name   string
		req    request
		err    error // what the domain answers
		status int
		call   string
		arg    any
		reason string // counted refusal, if any
		body   string // in the answer
	}{
		{"approve", request{"POST", PathDecisions, aliceToken, `{"incident_id":"pool/abc","decision":"approve"}`, false}, nil, 200,
			"decide pool/abc", workflows.DecisionRequest{Decision: "approve", Via: workflows.ViaAPI, Operator: "alice"}, "", `"Status":"approved"`},
		{"deny a given approval", request{"POST", PathDecisions, aliceToken, `{"incident_id":"pool/abc","decision":"deny","approval_id":"a1"}`, false}, nil, 200,
			"decide pool/abc", workflows.DecisionRequest{ApprovalID: "a1", Decision: "deny", Via: workflows.ViaAPI, Operator: "alice"}, "", `"ID":"a1"`},
		{"ack", request{"POST", PathAcks, aliceToken, `{"incident_id":"pool/abc"}`, false}, nil, 200,
			"ack pool/abc", workflows.AckRequest{By: "operator:alice", Via: workflows.ViaAPI}, "", `"By":"operator:alice"`},
		{"pause", request{"POST", PathPause, aliceToken, `{"reason":"db failover"}`, false}, nil, 200,
			"pause", "operator:alice db failover", "", `"Reason":"db failover"`},
		{"pause without a body", request{"POST", PathPause, aliceToken, ``, false}, nil, 200, "pause", "operator:alice ", "", `"By":"operator:alice"`},
		{"resume", request{"POST", PathResume, aliceToken, `{}`, false}, nil, 200, "resume", "operator:alice", "", `"Holders":null`},
		{"guardrails", request{"GET", PathGuardrails, aliceToken, ``, false}, nil, 200, "status", nil, "", `"Holders":null`},
		{"guardrails, HEAD", request{"HEAD", PathGuardrails, aliceToken, ``, false}, nil, 200, "status", nil, "", ``},
		{"refused by the incident", request{"POST", PathDecisions, aliceToken, `{"incident_id":"pool/abc","decision":"deny"}`, false}, refused{}, 409,
			"decide pool/abc", workflows.DecisionRequest{Decision: "deny", Via: workflows.ViaAPI, Operator: "alice"}, "decision_rejected", `{"error":"no approval is pending"}`},
		{"refused, wrapped", request{"POST", PathAcks, aliceToken, `{"incident_id":"pool/abc"}`, false},
			&approvals.RefusedError{Reason: "incident pool/abc is not open", Metric: "ack_no_incident"}, 409,
			"ack pool/abc", workflows.AckRequest{By: "operator:alice", Via: workflows.ViaAPI}, "ack_no_incident", `{"error":"incident pool/abc is not open"}`},
		{"refused by the Control workflow", request{"POST", PathResume, aliceToken, ``, false}, errors.Join(errors.New("resume automation"), &guard.RejectedError{Reason: "nope"}), 409,
			"resume", "operator:alice", "guard_rejected", `{"error":"nope"}`},
		{"Temporal down", request{"POST", PathPause, aliceToken, `{}`, false}, failure, 503, "pause", "operator:alice ", "", `{"error":"temporal unreachable"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.fake.reset(tt.err)
			before := 0.0
			if tt.reason != "" {
				before = refusals(t, h.m, tt.reason)
			}
			resp := h.do(t, h.url, tt.req)
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tt.status, resp.StatusCode, "body %s", raw)
			calls, args := h.fake.seen()
			require.Equal(t, []string{tt.call}, calls)
			assert.Equal(t, tt.arg, args[0])
			assert.Contains(t, string(raw), tt.body)
			if tt.reason != "" {
				assert.Equal(t, before+1, refusals(t, h.m, tt.reason))
			}
		})
	}
}

// TestNoDomain: an API given no Decider or Switch serves none of their
// paths.
func TestNoDomain(t *testing.T) {
	srv := httptest.NewServer(New(Options{Operators: []bearer.Operator{{Name: "alice", Token: aliceToken}}, Log: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	h := &harness{}
	for _, p := range []string{PathDecisions, PathAcks, PathPause, PathResume} {
		assert.Equal(t, http.StatusNotFound, h.do(t, srv.URL, request{"POST", p, aliceToken, `{}`, false}).StatusCode, p)
	}
}

// refusals reads firebreak_refusals_total{reason=...} as /metrics shows it.
func refusals(t *testing.T, m *metrics.Metrics, reason string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "firebreak_refusals_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return s.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
