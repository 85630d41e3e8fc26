package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/workflows"
)

const (
	taskQueue  = "guard-test"
	aliceToken = "alice-operator-token-0123"
)

// startControl starts the embedded Temporal server and a worker running
// the Control workflow, and returns a client on it.
func startControl(t *testing.T) client.Client {
	t.Helper()
	srv := devservertest.StartForTest(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Namespace: srv.Namespace(), Logger: sdklog.NewStructuredLogger(quiet)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Control, workflow.RegisterOptions{Name: workflows.ControlWorkflowName})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return c
}

func TestPauseResume(t *testing.T) {
	c := startControl(t)
	configured := workflows.ControlSettings{MaxConcurrent: 7}
	s := New(c, Options{TaskQueue: taskQueue, Settings: configured, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	st, err := s.Status(ctx)
	if err != nil || st.Paused != nil || st.Storm != nil || len(st.Holders) != 0 {
		t.Fatalf("before any pause: state %+v, err %v; want the zero state", st, err)
	}
	if st.Settings != configured {
		t.Errorf("settings before any report: %+v, want the configured %+v", st.Settings, configured)
	}

	st, err = s.Pause(ctx, "operator:alice", "database migration")
	if err != nil {
		t.Fatal(err)
	}
	if st.Paused == nil || st.Paused.By != "operator:alice" || st.Paused.Reason != "database migration" || st.Paused.At.IsZero() {
		t.Fatalf("pause answered %+v", st.Paused)
	}
	first := *st.Paused
	st, err = s.Status(ctx)
	if err != nil || st.Paused == nil || *st.Paused != first {
		t.Fatalf("status after pause: %+v, %v; want %+v", st.Paused, err, first)
	}
	runID := controlRun(t, c)

	// Pausing again changes nothing but the reason, in the same run.
	st, err = s.Pause(ctx, "operator:bob", "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Paused == nil || *st.Paused != first {
		t.Errorf("second pause: %+v, want %+v kept", st.Paused, first)
	}
	if got := controlRun(t, c); got != runID {
		t.Errorf("second pause started run %s, want the open one %s", got, runID)
	}

	st, err = s.Resume(ctx, "operator:alice")
	if err != nil || st.Paused != nil {
		t.Fatalf("resume: %+v, %v", st.Paused, err)
	}
	if st, err := s.Status(ctx); err != nil || st.Paused != nil {
		t.Fatalf("status after resume: %+v, %v", st.Paused, err)
	}

	// A control workflow that is not running holds no switch: Status says
	// so without querying it.
	if err := c.TerminateWorkflow(ctx, workflows.ControlWorkflowID(taskQueue), "", "test: end the control workflow"); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Status(ctx); err != nil || st.Paused != nil || st.Storm != nil || len(st.Holders) != 0 {
		t.Fatalf("status once ended: %+v, %v", st, err)
	}

	// A pause after that starts a new run.
	st, err = s.Pause(ctx, "operator:carol", "again")
	if err != nil || st.Paused == nil || st.Paused.By != "operator:carol" {
		t.Fatalf("pause on a new run: %+v, %v", st.Paused, err)
	}
	if got := controlRun(t, c); got == runID {
		t.Errorf("pause after the end reused run %s", got)
	}
}

func controlRun(t *testing.T, c client.Client) string {
	t.Helper()
	d, err := c.DescribeWorkflowExecution(context.Background(), workflows.ControlWorkflowID(taskQueue), "")
	if err != nil {
		t.Fatal(err)
	}
	return d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

// TestStatusUnreachable: a Temporal that does not answer is an error, not
// "not paused".
func TestStatusUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := client.NewLazyClient(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := New(c, Options{TaskQueue: taskQueue, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if st, err := s.Status(ctx); err == nil {
		t.Fatalf("status with Temporal down: %+v, no error", st)
	}
}

func TestHTTP(t *testing.T) {
	c := startControl(t)
	m := metrics.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := httptest.NewServer(New(c, Options{
		TaskQueue: taskQueue, Log: log, Metrics: m,
		Operators: []bearer.Operator{{Name: "alice", Token: aliceToken}},
	}).Handler())
	defer api.Close()
	closed := httptest.NewServer(New(c, Options{TaskQueue: taskQueue, Log: log, Metrics: m}).Handler())
	defer closed.Close()

	refusals := func(reason string) float64 { return refusalCount(t, m, reason) }
	for _, tc := range []struct {
		name, base, method, path, token, body string
		status                                int
		refusal                               string
	}{
		{"no operators configured", closed.URL, "POST", PathPause, aliceToken, `{}`, 403, "operator_api_disabled"},
		{"no token", api.URL, "POST", PathPause, "", `{}`, 401, "operator_unauthorized"},
		{"unknown token", api.URL, "POST", PathPause, "mallory-token-0123456789", `{}`, 401, "operator_unauthorized"},
		{"unknown token reading", api.URL, "GET", PathGuardrails, "mallory-token-0123456789", ``, 401, "operator_unauthorized"},
		{"malformed", api.URL, "POST", PathPause, aliceToken, `{"reason":`, 400, "operator_malformed"},
		{"unknown field", api.URL, "POST", PathPause, aliceToken, `{"reason":"x","force":true}`, 400, "operator_malformed"},
		{"trailing data", api.URL, "POST", PathResume, aliceToken, `{} {}`, 400, "operator_malformed"},
		{"long reason", api.URL, "POST", PathPause, aliceToken, `{"reason":"` + strings.Repeat("x", MaxReasonBytes+1) + `"}`, 400, "operator_malformed"},
		{"too large", api.URL, "POST", PathPause, aliceToken, `{"reason":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, "operator_too_large"},
		{"wrong method", api.URL, "GET", PathPause, aliceToken, ``, 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := 0.0
			if tc.refusal != "" {
				before = refusals(tc.refusal)
			}
			code, body := call(t, tc.method, tc.base+tc.path, tc.token, tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, body)
			}
			if tc.refusal != "" {
				if got := refusals(tc.refusal); got != before+1 {
					t.Errorf("refusals{reason=%q} went from %v to %v, want +1", tc.refusal, before, got)
				}
				var e ErrorBody
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
					t.Errorf("refusal body %q", body)
				}
			}
		})
	}

	var st workflows.ControlState
	status := func(method, path, body string) {
		t.Helper()
		code, raw := call(t, method, api.URL+path, aliceToken, body)
		if code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, code, raw)
		}
		st = workflows.ControlState{}
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	status("GET", PathGuardrails, "")
	if st.Paused != nil {
		t.Fatalf("paused before any pause: %+v", st.Paused)
	}
	status("POST", PathPause, `{"reason":"stop everything"}`)
	if st.Paused == nil || st.Paused.By != "operator:alice" || st.Paused.Reason != "stop everything" {
		t.Fatalf("pause answered %+v", st.Paused)
	}
	status("GET", PathGuardrails, "")
	if st.Paused == nil || st.Paused.By != "operator:alice" {
		t.Fatalf("guardrails after pause: %+v", st.Paused)
	}
	status("POST", PathResume, "")
	if st.Paused != nil {
		t.Fatalf("resume answered %+v", st.Paused)
	}
}

func call(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without a WWW-Authenticate challenge")
	}
	return resp.StatusCode, raw
}

// refusalCount reads firebreak_refusals_total{reason=...} as /metrics shows it.
func refusalCount(t *testing.T, m *metrics.Metrics, reason string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
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
