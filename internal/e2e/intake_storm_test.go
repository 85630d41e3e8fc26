package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/firebreak-dev/firebreak/internal/devserver"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/intake"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// stormRunbook is matched by the storm test and benchmark. No worker runs
// there, so only intake's writes are exercised and the runbook only has to
// parse; group_by service makes one incident per alert of a storm message.
const stormRunbook = `runbook "storm" {
  match    = ["alertname=\"StormAlert\""]
  group_by = ["service"]
  diagnose "errors" {
    prometheus { query = "sum(rate(http_requests_total{service=\"${alert.labels.service}\"}[1m]))" }
  }
}
`

func stormSet(t testing.TB) *runbooks.Set {
	t.Helper()
	rb, diags := runbooks.Parse("storm.hcl", []byte(stormRunbook))
	if diags.HasErrors() {
		t.Fatalf("parse storm runbook: %s", diags.Error())
	}
	return &runbooks.Set{Runbooks: []*runbooks.Runbook{rb}}
}

// stormBody is one Alertmanager message of n firing alerts, one service
// (so one incident) each, as a group by alertname would send during a storm.
func stormBody(prefix string, n int) []byte {
	alerts := make([]map[string]any, n)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := range alerts {
		svc := fmt.Sprintf("%s-%04d", prefix, i)
		alerts[i] = map[string]any{
			"status": "firing", "labels": map[string]string{"alertname": "StormAlert", "service": svc},
			"annotations": map[string]string{"summary": "storm"}, "startsAt": now, "fingerprint": svc,
		}
	}
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": "firing", "receiver": "firebreak", "groupKey": `{}:{alertname="StormAlert"}`,
		"groupLabels": map[string]string{"alertname": "StormAlert"}, "alerts": alerts,
	})
	return body
}

func dialTemporal(t testing.TB, srv *devserver.Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort: srv.FrontendAddr(), Namespace: srv.Namespace(),
		Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		t.Fatalf("dial temporal at %s: %v", srv.FrontendAddr(), err)
	}
	t.Cleanup(c.Close)
	return c
}

// failingTemporal is the fault: the real Temporal client, delegated to for
// the first `after` writes, and an Unavailable error, as a frontend that
// went away answers, from the next one on until heal. A Toxiproxy cut (the
// helper in internal/testutil) cannot do this: gRPC multiplexes every write
// on one connection, so a proxy can cut the connection but not count writes.
type failingTemporal struct {
	real  client.Client
	after int

	mu        sync.Mutex
	failing   bool
	calls     int
	delegated map[string]bool // IDs whose write reached Temporal while failing was set
	confirmed map[string]bool // ...and returned success
}

func (f *failingTemporal) admit(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if !f.failing {
		return nil
	}
	if f.calls > f.after {
		return serviceerror.NewUnavailable(fmt.Sprintf("injected: write %d after %d", f.calls, f.after))
	}
	f.delegated[id] = true
	return nil
}

func (f *failingTemporal) done(id string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing && err == nil && f.delegated[id] {
		f.confirmed[id] = true
	}
}

func (f *failingTemporal) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = false
}

func (f *failingTemporal) SignalWithStartWorkflow(ctx context.Context, workflowID string, signalName string, signalArg interface{},
	options client.StartWorkflowOptions, workflow interface{}, workflowArgs ...interface{}) (client.WorkflowRun, error) {
	if err := f.admit(workflowID); err != nil {
		return nil, err
	}
	run, err := f.real.SignalWithStartWorkflow(ctx, workflowID, signalName, signalArg, options, workflow, workflowArgs...)
	f.done(workflowID, err)
	return run, err
}

func (f *failingTemporal) SignalWorkflow(ctx context.Context, workflowID string, runID string, signalName string, arg interface{}) error {
	if err := f.admit(workflowID); err != nil {
		return err
	}
	err := f.real.SignalWorkflow(ctx, workflowID, runID, signalName, arg)
	f.done(workflowID, err)
	return err
}

// TestIntakeStormPartialFailure is issue 9's test of the all-or-503
// promise at storm scale, on a real Temporal server: a 100-alert message
// (100 incidents) whose writes fail after the 50th — failingTemporal, the
// real client returning serviceerror.Unavailable from the 51st call on —
// answers 503 with Retry-After; Alertmanager's retry, with Temporal back,
// answers 200 with the same 100 IDs; and Temporal, not firebreak, then
// holds exactly 100 incident workflows, one run each, where every write
// the first attempt confirmed was recognised as a repeat (a second signal
// to the same run, not a second run). No worker runs, so the incidents stay
// open and nothing but intake writes to them.
func TestIntakeStormPartialFailure(t *testing.T) {
	srv := devservertest.StartForTest(t)
	c := dialTemporal(t, srv)
	fault := &failingTemporal{real: c, after: 50, failing: true, delegated: map[string]bool{}, confirmed: map[string]bool{}}
	h := intake.New(stormSet(t), intake.Options{Temporal: fault, TaskQueue: "storm-partial", Log: testLogger(t)})
	web := httptest.NewServer(h)
	t.Cleanup(web.Close)
	url := web.URL + "/webhook/alertmanager"
	body := stormBody("svc", 100)

	first := post(t, url, body)
	require.Equal(t, http.StatusServiceUnavailable, first.code, first.raw)
	require.NotEmpty(t, first.hdr.Get("Retry-After"))
	require.Contains(t, first.body.Error, "temporal unavailable")
	fault.mu.Lock()
	confirmed := make(map[string]bool, len(fault.confirmed))
	for id := range fault.confirmed {
		confirmed[id] = true
	}
	delegated := len(fault.delegated)
	fault.mu.Unlock()
	require.LessOrEqual(t, delegated, 50)
	answered := map[string]bool{}
	for _, id := range first.body.IncidentIDs {
		answered[id] = true
	}
	require.Equal(t, confirmed, answered, "the 503 lists exactly the writes Temporal confirmed")

	fault.heal()
	retry := post(t, url, body)
	require.Equal(t, http.StatusOK, retry.code, retry.raw)
	require.Len(t, retry.body.IncidentIDs, 100)
	ids := map[string]bool{}
	for _, id := range retry.body.IncidentIDs {
		ids[id] = true
	}
	require.Len(t, ids, 100, "100 alerts of 100 services are 100 incidents")

	// Counted in Temporal's visibility store, which lags the writes.
	var runs map[string]int
	require.Eventually(t, func() bool {
		runs = incidentRuns(t, c)
		return len(runs) == 100
	}, 30*time.Second, 200*time.Millisecond, "incident workflows in Temporal")
	for id, n := range runs {
		require.True(t, ids[id], "workflow %s is no incident of the answer", id)
		require.Equal(t, 1, n, "incident %s has %d runs", id, n)
	}
	total := 0
	for id := range ids {
		desc, err := c.DescribeWorkflowExecution(context.Background(), id, "")
		require.NoError(t, err)
		require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.WorkflowExecutionInfo.Status, id)
		n := alertSignals(t, c, id)
		require.True(t, n == 1 || n == 2, "incident %s heard %d notifications, want 1 or 2", id, n)
		if confirmed[id] {
			require.Equal(t, 2, n, "incident %s: the retry of a confirmed write must be a repeat", id)
		}
		total += n
	}
	require.GreaterOrEqual(t, total, 100+len(confirmed))
	require.LessOrEqual(t, total, 100+delegated)
	t.Logf("first attempt: %d writes confirmed, %d reached Temporal; %d notifications in total", len(confirmed), delegated, total)
}

// incidentRuns counts the runs of every incident workflow Temporal lists.
func incidentRuns(t testing.TB, c client.Client) map[string]int {
	t.Helper()
	runs := map[string]int{}
	var token []byte
	for {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowType = '%s'", workflows.IncidentWorkflowName), PageSize: 1000, NextPageToken: token,
		})
		require.NoError(t, err)
		for _, e := range resp.Executions {
			runs[e.Execution.WorkflowId]++
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return runs
		}
	}
}

// alertSignals counts the alert notifications in the incident's history.
func alertSignals(t testing.TB, c client.Client, id string) int {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.SignalName == workflows.SignalAlert {
			n++
		}
	}
	return n
}
