package operator

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/guard"
	"github.com/firebreak-dev/firebreak/workflows"
)

// TestKillSwitchOverHTTP drives the real Control workflow through the API:
// the pause is recorded as the operator who asked, and the state the
// endpoints answer is the workflow's.
func TestKillSwitchOverHTTP(t *testing.T) {
	const taskQueue = "operator-test"
	srv := devservertest.StartForTest(t)
	quiet := slog.New(slog.DiscardHandler)
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Namespace: srv.Namespace(), Logger: sdklog.NewStructuredLogger(quiet)})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Control, workflow.RegisterOptions{Name: workflows.ControlWorkflowName})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	api := httptest.NewServer(New(Options{
		Operators: []bearer.Operator{{Name: "alice", Token: aliceToken}},
		Switch:    guard.New(c, guard.Options{TaskQueue: taskQueue, Log: quiet}),
		Log:       quiet,
	}))
	defer api.Close()
	h := &harness{}
	state := func(method, path, body string) workflows.ControlState {
		t.Helper()
		resp := h.do(t, api.URL, request{method, path, aliceToken, body, false})
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, path, raw)
		var st workflows.ControlState
		require.NoError(t, json.Unmarshal(raw, &st), "%s %s: %s", method, path, raw)
		return st
	}
	require.Nil(t, state("GET", PathGuardrails, "").Paused, "paused before any pause")
	st := state("POST", PathPause, `{"reason":"stop everything"}`)
	require.NotNil(t, st.Paused)
	require.Equal(t, "operator:alice", st.Paused.By)
	require.Equal(t, "stop everything", st.Paused.Reason)
	st = state("GET", PathGuardrails, "")
	require.NotNil(t, st.Paused, "guardrails after pause")
	require.Equal(t, "operator:alice", st.Paused.By)
	require.Nil(t, state("POST", PathResume, "").Paused, "resume answered a pause")
}
