package devserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// The crash test re-executes this test binary; these variables select the
// helper mode and pass it the state directory.
const (
	helperModeEnv  = "FIREBREAK_DEVSERVER_HELPER"
	helperStateEnv = "FIREBREAK_DEVSERVER_STATE"
	helperReady    = "READY "
	crashTimer     = 2 * time.Second
	crashWorkflow  = "wait-across-crash"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperModeEnv) == "crash" {
		os.Exit(crashHelper(os.Getenv(helperStateEnv)))
	}
	os.Exit(m.Run())
}

// crashHelper is the child process of TestCrashSafety: it starts a server,
// starts a workflow that waits on a timer and then a signal, reports once the
// timer is recorded, and waits to be killed.
func crashHelper(dir string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crash helper:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{StateDir: dir, UIPort: -1, Logger: quietLogger()})
	if err != nil {
		return fail(err)
	}
	c, err := dial(s)
	if err != nil {
		return fail(err)
	}
	if _, err := newWorker(c); err != nil {
		return fail(err)
	}
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: crashWorkflow, TaskQueue: taskQueue}, waitWorkflow, crashTimer); err != nil {
		return fail(err)
	}
	if err := waitForEvent(ctx, c, crashWorkflow, enumspb.EVENT_TYPE_TIMER_STARTED); err != nil {
		return fail(err)
	}
	fmt.Println(helperReady + s.FrontendAddr())
	// The parent kills this process; exiting on our own means the parent is
	// gone, and nothing should outlive a test run.
	<-time.After(2 * time.Minute)
	return 2
}

func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperModeEnv+"=crash", helperStateEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), helperReady); ok {
				ready <- addr
				return
			}
		}
		close(ready)
	}()
	select {
	case addr, ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			killed = true
			t.Fatalf("helper exited before it was ready: %s", stderr.String())
		}
		t.Logf("helper server on %s has the workflow waiting on its timer", addr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("helper not ready after 2 minutes: %s", stderr.String())
	}

	// SIGKILL: no shutdown hook, no checkpoint, no lock release by the process.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill helper: %v", err)
	}
	_ = cmd.Wait()
	killed = true
	t.Logf("helper ended: %v", cmd.ProcessState)

	s := startServer(t, Options{StateDir: dir, UIPort: -1})
	c := newClient(t, s)
	startWorker(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The timer fires after the restart (or fired while the process was
	// down); the signal is then delivered to the same run.
	if err := waitForEvent(ctx, c, crashWorkflow, enumspb.EVENT_TYPE_TIMER_FIRED); err != nil {
		t.Fatal(err)
	}
	if err := c.SignalWorkflow(ctx, crashWorkflow, "", signalName, "after-crash"); err != nil {
		t.Fatalf("signal: %v", err)
	}
	var out string
	if err := c.GetWorkflow(ctx, crashWorkflow, "").Get(ctx, &out); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if out != "got after-crash" {
		t.Fatalf("result = %q, want %q", out, "got after-crash")
	}
}
