package guard

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/workflows"
)

// taskQueue is where the tests' Control workflow runs.
const taskQueue = "guard-test"

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
