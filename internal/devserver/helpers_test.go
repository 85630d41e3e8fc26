package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	taskQueue  = "devserver-test"
	signalName = "go"
)

// greetWorkflow runs one activity: the smallest workflow that needs history,
// matching and a worker to cooperate.
func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, greetActivity, name).Get(ctx, &out)
	return out, err
}

func greetActivity(_ context.Context, name string) (string, error) {
	return "hello " + name, nil
}

// waitWorkflow waits for a durable timer (when timer > 0) and then for a
// signal, which is what survives a restart or a crash only if both were
// persisted.
func waitWorkflow(ctx workflow.Context, timer time.Duration) (string, error) {
	if timer > 0 {
		if err := workflow.Sleep(ctx, timer); err != nil {
			return "", err
		}
	}
	var v string
	workflow.GetSignalChannel(ctx, signalName).Receive(ctx, &v)
	return "got " + v, nil
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func startServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.StateDir == "" {
		opts.StateDir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func dial(s *Server) (client.Client, error) {
	return client.Dial(client.Options{
		HostPort:  s.FrontendAddr(),
		Namespace: s.Namespace(),
		Logger:    sdklog.NewStructuredLogger(quietLogger()),
	})
}

func newClient(t testing.TB, s *Server) client.Client {
	t.Helper()
	c, err := dial(s)
	if err != nil {
		t.Fatalf("dial %s: %v", s.FrontendAddr(), err)
	}
	t.Cleanup(c.Close)
	return c
}

func newWorker(c client.Client) (worker.Worker, error) {
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterWorkflow(waitWorkflow)
	w.RegisterActivity(greetActivity)
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	return w, nil
}

func startWorker(t testing.TB, c client.Client) {
	t.Helper()
	w, err := newWorker(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

// waitForEvent polls a workflow's history until an event of type want is
// recorded, so a test knows the server persisted it before stopping or
// killing the server.
func waitForEvent(ctx context.Context, c client.Client, id string, want enumspb.EventType) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				break
			}
			if ev.GetEventType() == want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s in %s: %w", want, id, ctx.Err())
		case <-tick.C:
		}
	}
}

func runGreet(t testing.TB, c client.Client, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, greetWorkflow, "firebreak")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil {
		t.Fatalf("workflow %s: %v", id, err)
	}
	if out != "hello firebreak" {
		t.Fatalf("workflow %s returned %q, want %q", id, out, "hello firebreak")
	}
}
