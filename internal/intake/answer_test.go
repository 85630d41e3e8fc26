package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/grpc"

	"github.com/firebreak-dev/firebreak/internal/devserver"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// dialForTest connects to srv as the engine does: with StartedInterceptor
// when started is true, without it otherwise.
func dialForTest(t *testing.T, srv *devserver.Server, started bool) client.Client {
	t.Helper()
	o := client.Options{
		HostPort: srv.FrontendAddr(), Namespace: srv.Namespace(),
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	}
	if started {
		o.ConnectionOptions.DialOptions = []grpc.DialOption{grpc.WithChainUnaryInterceptor(StartedInterceptor())}
	}
	c, err := client.Dial(o)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// realHandler serves the test runbook against a real Temporal client. No
// worker runs: the incidents started stay open, which is all the answers
// depend on.
func realHandler(t *testing.T, c client.Client) *Handler {
	t.Helper()
	rb, diags := runbooks.Parse("storm.hcl", []byte(testRunbook))
	require.False(t, diags.HasErrors(), diags.Error())
	return New(&runbooks.Set{Runbooks: []*runbooks.Runbook{rb}}, Options{
		Temporal: c, TaskQueue: "intake-answer-test",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(),
	})
}

// results is the result of each alert of an answer, in alert order.
func results(a answer) []string {
	out := make([]string, len(a.body.Alerts))
	for i, r := range a.body.Alerts {
		out[i] = r.Result
	}
	return out
}

// TestAnswerSaysWhatHappened runs against the embedded Temporal server: a
// firing alert's first delivery answers started, its repeat (in a later
// message, or later in the same one) signalled, and the run is the same;
// a resolved alert answers resolved while its incident is open and
// no_open_incident when there is none; an incident that closed and fires
// again starts a new run, so started again. It fails with "delivered" in place
// of started and signalled when the client lacks StartedInterceptor.
func TestAnswerSaysWhatHappened(t *testing.T) {
	srv := devservertest.StartForTest(t)
	c := dialForTest(t, srv, true)
	h := realHandler(t, c)

	a := send(t, h, body(testAlert{service: "a", status: "firing"}))
	require.Equal(t, http.StatusOK, a.code, a.body.Error)
	require.Equal(t, []string{ResultStarted}, results(a))
	run, err := c.DescribeWorkflowExecution(context.Background(), incidentIDOf("a"), "")
	require.NoError(t, err)

	a = send(t, h, body(testAlert{service: "a", status: "firing"}))
	require.Equal(t, http.StatusOK, a.code, a.body.Error)
	require.Equal(t, []string{ResultSignalled}, results(a))
	again, err := c.DescribeWorkflowExecution(context.Background(), incidentIDOf("a"), "")
	require.NoError(t, err)
	require.Equal(t, run.WorkflowExecutionInfo.Execution.RunId, again.WorkflowExecutionInfo.Execution.RunId, "the repeat started a second run")

	// One message: a new incident, its repeat, a resolved alert of an open
	// incident, one of an incident never opened, and an unmatched alert.
	a = send(t, h, body(
		testAlert{service: "b", status: "firing"}, testAlert{service: "b", status: "firing"},
		testAlert{service: "a", status: "resolved"}, testAlert{service: "never", status: "resolved"},
		testAlert{service: "a", status: "firing", alertname: "Unrelated"},
	))
	require.Equal(t, http.StatusOK, a.code, a.body.Error)
	require.Equal(t, []string{ResultStarted, ResultSignalled, ResultResolved, ResultNoOpenIncident, ResultUnmatched}, results(a))
	require.Equal(t, []string{incidentIDOf("b"), incidentIDOf("b"), incidentIDOf("a"), incidentIDOf("never")}, a.body.IncidentIDs)

	// An incident that closed and fires again is a new run: started.
	require.NoError(t, c.TerminateWorkflow(context.Background(), incidentIDOf("a"), "", "test: the incident closed"))
	a = send(t, h, body(testAlert{service: "a", status: "firing"}))
	require.Equal(t, http.StatusOK, a.code, a.body.Error)
	require.Equal(t, []string{ResultStarted}, results(a))
	next, err := c.DescribeWorkflowExecution(context.Background(), incidentIDOf("a"), "")
	require.NoError(t, err)
	require.NotEqual(t, run.WorkflowExecutionInfo.Execution.RunId, next.WorkflowExecutionInfo.Execution.RunId)
}

// TestAnswerWithoutInterceptor: a client dialled without StartedInterceptor
// still records every alert, and the answer says delivered, not a guess.
func TestAnswerWithoutInterceptor(t *testing.T) {
	srv := devservertest.StartForTest(t)
	h := realHandler(t, dialForTest(t, srv, false))
	for range 2 {
		a := send(t, h, body(testAlert{service: "a", status: "firing"}))
		require.Equal(t, http.StatusOK, a.code, a.body.Error)
		require.Equal(t, []string{ResultDelivered}, results(a))
	}
}

// TestAnswerListsNeverNull: every answer, refusals included, has both lists
// as JSON arrays; before, a 400 said "incident_ids":null,"alerts":null.
func TestAnswerListsNeverNull(t *testing.T) {
	unavailable := &fakeTemporal{failFrom: 1}
	tests := []struct {
		name   string
		f      *fakeTemporal
		opts   Options
		method string
		body   []byte
		code   int
	}{
		{"malformed", &fakeTemporal{}, Options{}, http.MethodPost, []byte(`{"version":"4","alerts":[`), http.StatusBadRequest},
		{"no alerts", &fakeTemporal{}, Options{}, http.MethodPost, []byte(`{"version":"4","alerts":[]}`), http.StatusBadRequest},
		{"too large", &fakeTemporal{}, Options{MaxBody: 16}, http.MethodPost, body(storm(1)...), http.StatusRequestEntityTooLarge},
		{"not POST", &fakeTemporal{}, Options{}, http.MethodGet, nil, http.StatusMethodNotAllowed},
		{"no token", &fakeTemporal{}, Options{Token: "secret-token"}, http.MethodPost, body(storm(1)...), http.StatusUnauthorized},
		{"temporal unavailable", unavailable, Options{}, http.MethodPost, body(storm(1)...), http.StatusServiceUnavailable},
		{"unmatched only", &fakeTemporal{}, Options{}, http.MethodPost, body(testAlert{service: "x", status: "firing", alertname: "Other"}), http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestHandler(t, tc.f, tc.opts)
			rec := httptest.NewRecorder()
			r := httptest.NewRequest(tc.method, "/webhook/alertmanager", bytes.NewReader(tc.body))
			h.ServeHTTP(rec, r)
			require.Equal(t, tc.code, rec.Code, rec.Body.String())
			raw := rec.Body.String()
			require.NotContains(t, raw, "null")
			var got map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			for _, key := range []string{"incident_ids", "alerts"} {
				require.True(t, strings.HasPrefix(string(got[key]), "["), "%s is %s in %s", key, got[key], raw)
			}
			if tc.code != http.StatusOK {
				require.Equal(t, "[]", string(got["incident_ids"]), raw)
			}
		})
	}
}
