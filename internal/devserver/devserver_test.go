package devserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

func TestRunWorkflowOnNewState(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, Options{StateDir: dir, UIPort: -1})
	if s.Namespace() != DefaultNamespace {
		t.Errorf("Namespace() = %q, want %q", s.Namespace(), DefaultNamespace)
	}
	if s.UIURL() != "" {
		t.Errorf("UIURL() = %q with the UI disabled, want empty", s.UIURL())
	}
	if host, _, _ := net.SplitHostPort(s.FrontendAddr()); host != DefaultHost {
		t.Errorf("FrontendAddr() = %q, want host %s", s.FrontendAddr(), DefaultHost)
	}
	c := newClient(t, s)
	startWorker(t, c)
	runGreet(t, c, "greet-new-state")

	for _, f := range []string{historyDBFile, visibilityDBFile, lockFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("state file %s: %v", f, err)
		}
	}
}

func TestCustomNamespace(t *testing.T) {
	s := startServer(t, Options{UIPort: -1, Namespace: "incidents"})
	if s.Namespace() != "incidents" {
		t.Fatalf("Namespace() = %q, want incidents", s.Namespace())
	}
	c := newClient(t, s)
	startWorker(t, c)
	runGreet(t, c, "greet-custom-namespace")
}

func TestRestartResumesWorkflow(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const id = "wait-across-restart"

	// First life: start a workflow that blocks on a signal, then stop.
	first, err := Start(ctx, Options{StateDir: dir, UIPort: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("first Start: %v", err)
	}
	c1, err := dial(first)
	if err != nil {
		t.Fatal(err)
	}
	w1, err := newWorker(c1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, waitWorkflow, time.Duration(0)); err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	if err := waitForEvent(ctx, c1, id, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED); err != nil {
		t.Fatal(err)
	}
	w1.Stop()
	c1.Close()
	if err := first.Stop(); err != nil {
		t.Fatalf("first Stop: %v", err)
	}
	if err := first.Stop(); err != nil {
		t.Fatalf("second call to Stop: %v", err)
	}

	// Second life on the same state.
	second := startServer(t, Options{StateDir: dir, UIPort: -1})
	c2 := newClient(t, second)
	desc, err := c2.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatalf("describe after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("status after restart = %s, want RUNNING", st)
	}
	startWorker(t, c2)
	if err := c2.SignalWorkflow(ctx, id, "", signalName, "restart"); err != nil {
		t.Fatalf("signal: %v", err)
	}
	var out string
	if err := c2.GetWorkflow(ctx, id, "").Get(ctx, &out); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if out != "got restart" {
		t.Fatalf("result = %q, want %q", out, "got restart")
	}
}

func TestTwoServersInOneProcess(t *testing.T) {
	var (
		wg      sync.WaitGroup
		servers [2]*Server
		errs    [2]error
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range servers {
		dir := t.TempDir()
		wg.Go(func() {
			servers[i], errs[i] = Start(ctx, Options{StateDir: dir, UIPort: -1, Logger: quietLogger()})
		})
	}
	wg.Wait()
	for i, s := range servers {
		if errs[i] != nil {
			t.Fatalf("server %d: %v", i, errs[i])
		}
		t.Cleanup(func() {
			if err := s.Stop(); err != nil {
				t.Errorf("Stop server %d: %v", i, err)
			}
		})
	}
	if servers[0].FrontendAddr() == servers[1].FrontendAddr() {
		t.Fatalf("both servers on %s", servers[0].FrontendAddr())
	}
	for i, s := range servers {
		c := newClient(t, s)
		startWorker(t, c)
		runGreet(t, c, "greet-two-servers")
		// The other server's state must not know this workflow's run: each
		// ran its own "greet-two-servers".
		if i == 1 {
			c0 := newClient(t, servers[0])
			d0, err := c0.DescribeWorkflowExecution(ctx, "greet-two-servers", "")
			if err != nil {
				t.Fatal(err)
			}
			d1, err := c.DescribeWorkflowExecution(ctx, "greet-two-servers", "")
			if err != nil {
				t.Fatal(err)
			}
			if d0.GetWorkflowExecutionInfo().GetExecution().GetRunId() == d1.GetWorkflowExecutionInfo().GetExecution().GetRunId() {
				t.Fatal("both servers report the same run: they share state")
			}
		}
	}
}

func TestWebUI(t *testing.T) {
	s := startServer(t, Options{})
	if !strings.HasPrefix(s.UIURL(), "http://127.0.0.1:") {
		t.Fatalf("UIURL() = %q, want http://127.0.0.1:<port>", s.UIURL())
	}
	resp, err := http.Get(s.UIURL() + "/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", resp.StatusCode)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(s.UIURL() + "/"); err == nil {
		_ = resp.Body.Close()
		t.Fatalf("web UI still answers after Stop (status %d)", resp.StatusCode)
	}
}

func TestFrontendPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = Start(ctx, Options{StateDir: dir, FrontendPort: port, UIPort: -1, Logger: quietLogger()})
	if err == nil {
		t.Fatal("Start succeeded on a port in use")
	}
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "frontend address") {
		t.Fatalf("error = %v, want one naming the frontend address in use", err)
	}

	// The failed start released the state dir.
	startServer(t, Options{StateDir: dir, UIPort: -1})
}

func TestStateDirInUse(t *testing.T) {
	dir := t.TempDir()
	startServer(t, Options{StateDir: dir, UIPort: -1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Start(ctx, Options{StateDir: dir, UIPort: -1, Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "another dev server") {
		t.Fatalf("second Start on a dir in use: err = %v, want the lock error", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no state dir", Options{}, "StateDir is required"},
		{"host name", Options{StateDir: t.TempDir(), Host: "localhost"}, "not an IP address"},
		{"negative frontend port", Options{StateDir: t.TempDir(), FrontendPort: -1}, "frontend port"},
		{"bad UI port", Options{StateDir: t.TempDir(), UIPort: -2}, "UI port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Start(ctx, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestListensOnHostOnly checks every listening socket of this process while
// a server with the UI runs: none may be bound to a wildcard address.
func TestListensOnHostOnly(t *testing.T) {
	startServer(t, Options{})
	listeners, err := ownListeners()
	if err != nil {
		t.Fatal(err)
	}
	if len(listeners) < 5 {
		t.Fatalf("found %d listeners (%v), want at least 5 (4 services + UI)", len(listeners), listeners)
	}
	for _, addr := range listeners {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("listener on %s, want 127.0.0.1 only", addr)
		}
	}
}
