package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/cli"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeRoles runs `firebreak serve` as production does, against an
// existing Temporal frontend: a receiver and a worker as separate engines,
// each from firebreak.hcl. An alert posted to the receiver is handled by the
// worker, and both exit 0 when stopped.
func TestServeRoles(t *testing.T) {
	srv := devservertest.StartForTest(t)
	dir := t.TempDir()
	cfgFor := func(listen string) string {
		p := filepath.Join(dir, strings.ReplaceAll(listen, ":", "_")+".hcl")
		src := fmt.Sprintf("temporal {\n  address = %q\n  namespace = %q\n  task_queue = \"serve-roles\"\n}\nserver {\n  listen = %q\n}\nincidents {\n  linger = \"10m\"\n}\n",
			srv.FrontendAddr(), srv.Namespace(), listen)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	receiverAddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	workerAddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	runbooks := filepath.Join(repoRoot, "examples", "runbooks")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	codes := make(map[string]int)
	var mu sync.Mutex
	start := func(name string, args ...string) *syncBuffer {
		out := &syncBuffer{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := cli.Run(ctx, append([]string{"serve"}, args...), cli.IO{In: strings.NewReader(""), Out: out, Err: out})
			mu.Lock()
			codes[name] = code
			mu.Unlock()
		}()
		return out
	}
	recvOut := start("receiver", "--config", cfgFor(receiverAddr), "--role", "receiver", "--runbooks", runbooks, "--log-level", "warn")
	workOut := start("worker", "--config", cfgFor(workerAddr), "--role", "worker", "--log-level", "warn")
	defer func() {
		cancel()
		wg.Wait()
	}()
	for _, addr := range []string{receiverAddr, workerAddr} {
		testutil.PollUntil(t, 30*time.Second, "serve answers /readyz on "+addr, func() (bool, error) {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				return false, err
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, nil
		})
	}
	a := post(t, "http://"+receiverAddr+"/webhook/alertmanager", fixture(t, "firing-single.json"))
	if a.code != http.StatusOK || len(a.body.IncidentIDs) != 1 {
		t.Fatalf("receiver: %d %s\nreceiver output:\n%s", a.code, a.raw, recvOut.String())
	}
	// The worker runs the incident: no Prometheus is configured, so it
	// escalates, which only a worker can do.
	c := devClient(t, srv.FrontendAddr())
	testutil.PollUntil(t, 30*time.Second, "the worker handles the incident", func() (bool, error) {
		st, err := incidentState(t, c, a.body.IncidentIDs[0])
		if err != nil {
			return false, err
		}
		return st.Outcome == incident.OutcomeEscalated, fmt.Errorf("phase %s", st.Phase)
	})
	// The receiver serves no worker, the worker no webhook.
	if resp, err := http.Post("http://"+workerAddr+"/webhook/alertmanager", "application/json", bytes.NewReader(fixture(t, "firing-single.json"))); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the worker accepted a webhook: %v %v", err, resp)
	}
	cancel()
	wg.Wait()
	for name, code := range codes {
		if code != cli.ExitOK {
			t.Errorf("firebreak serve --role %s exited %d\n%s%s", name, code, recvOut.String(), workOut.String())
		}
	}
}

// devClient connects a Temporal client to addr for the test's lifetime.
func devClient(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLog{}})
	if err != nil {
		t.Fatalf("connect to temporal at %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return c
}
