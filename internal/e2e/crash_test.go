package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// buildDir holds the binary buildFirebreak built; TestMain removes it.
var buildDir string

// buildFirebreak builds the firebreak binary once per test binary.
var buildFirebreak = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "firebreak-bin-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	bin := filepath.Join(dir, "firebreak")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/firebreak")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/firebreak: %v\n%s", err, out)
	}
	return bin, nil
})

// devProcess is a `firebreak dev` child process.
type devProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func startDev(t *testing.T, bin string, env []string, args ...string) *devProcess {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "firebreak-dev-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"dev"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &devProcess{cmd: cmd, done: make(chan struct{}), log: logf}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill(syscall.SIGKILL)
		if t.Failed() {
			tail(t, logf.Name())
		}
	})
	return p
}

func (p *devProcess) kill(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	<-p.done
}

func tail(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	t.Logf("%s (tail):\n%s", path, strings.Join(lines, "\n"))
}

// TestCrashDuringVerification kills the process that runs the Temporal
// server, the worker and the receiver with SIGKILL while the incident waits
// in verification, restarts it on the same state, and checks that the
// incident completes and the pool was set exactly once.
func TestCrashDuringVerification(t *testing.T) {
	bin, err := buildFirebreak()
	if err != nil {
		t.Fatal(err)
	}
	s := startScenario(t, "")
	state := t.TempDir()
	temporalPort := testutil.FreePort(t)
	cfg := filepath.Join(t.TempDir(), "firebreak.hcl")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("prometheus {\n  url = %q\n}\nincidents {\n  linger = \"10m\"\n}\n", s.prom.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	runbookDir, err := filepath.Abs(filepath.Join("testdata", "runbooks", "crash"))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"FIREBREAK_SECRET_PGBOUNCER_ADMIN=" + s.bouncer.AdminDSN()}
	args := []string{"--state", state, "--temporal-port", fmt.Sprint(temporalPort), "--ui-port", "-1",
		"--listen", s.webhook, "--runbooks", runbookDir, "--config", cfg}

	first := startDev(t, bin, env, args...)
	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", temporalPort), Logger: quietLog{}})
	if err != nil {
		// Dial fails fast when the server is not up yet: retry.
		testutil.PollUntil(t, 60*time.Second, "temporal frontend of firebreak dev answers", func() (bool, error) {
			c, err = client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", temporalPort), Logger: quietLog{}})
			return err == nil, err
		})
	}
	defer c.Close()

	s.load(t, 5*time.Minute)
	id := demoIncidentID(t, runbookDir, "pool-crash")
	testutil.PollUntil(t, 3*time.Minute, "incident waits in verification", func() (bool, error) {
		st, err := incidentState(t, c, id)
		if err != nil {
			return false, err
		}
		if st.Outcome != "" {
			return false, fmt.Errorf("reached outcome %s before the crash: %s", st.Outcome, st.Reason)
		}
		return st.Phase == incident.PhaseVerifying, fmt.Errorf("phase %s", st.Phase)
	})
	if got := s.poolSize(t); got != "12" {
		t.Fatalf("before the crash: default_pool_size = %s, want 12", got)
	}
	first.kill(syscall.SIGKILL)
	t.Log("SIGKILLed firebreak dev while the incident was verifying")

	startDev(t, bin, env, args...)
	var st incident.State
	testutil.PollUntil(t, 3*time.Minute, "incident reaches its outcome after the restart", func() (bool, error) {
		var err error
		st, err = incidentState(t, c, id)
		if err != nil {
			return false, err
		}
		return st.Outcome != "", fmt.Errorf("phase %s", st.Phase)
	})
	if st.Outcome != incident.OutcomeResolved {
		t.Fatalf("outcome %s: %s\n%s", st.Outcome, st.Reason, timeline(st))
	}
	counts := scheduledActivities(t, c, id)
	if counts["PgBouncerPoolSet"] != 1 {
		t.Fatalf("PgBouncerPoolSet scheduled %d times, want exactly 1 (history: %v)", counts["PgBouncerPoolSet"], counts)
	}
	if got := s.poolSize(t); got != "12" {
		t.Fatalf("after the restart: default_pool_size = %s, want 12 (set once: 2 +500%%)", got)
	}
	if len(st.Actions) != 1 || !st.Actions[0].Applied {
		t.Fatalf("actions = %+v, want one", st.Actions)
	}
}

type quietLog struct{}

func (quietLog) Debug(string, ...interface{}) {}
func (quietLog) Info(string, ...interface{})  {}
func (quietLog) Warn(string, ...interface{})  {}
func (quietLog) Error(string, ...interface{}) {}

// TestDevCommand runs `firebreak dev` as a user would: it serves the example
// runbooks, answers the real Alertmanager bodies, shuts down cleanly on
// SIGTERM, carries an open incident on across a restart on the same state,
// and `firebreak incidents show` reads the incident's record.
func TestDevCommand(t *testing.T) {
	bin, err := buildFirebreak()
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	temporal := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	_, port, _ := strings.Cut(temporal, ":")
	args := []string{"--state", state, "--temporal-port", port, "--ui-port", fmt.Sprint(testutil.FreePort(t)),
		"--listen", listen, "--runbooks", filepath.Join(repoRoot, "examples", "runbooks")}
	url := "http://" + listen + "/webhook/alertmanager"
	waitReady := func() {
		testutil.PollUntil(t, 60*time.Second, "firebreak dev /readyz", func() (bool, error) {
			resp, err := http.Get("http://" + listen + "/readyz")
			if err != nil {
				return false, err
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, fmt.Errorf("readyz: %d", resp.StatusCode)
		})
	}
	p := startDev(t, bin, nil, args...)
	waitReady()
	a := post(t, url, fixture(t, "firing-single.json"))
	if a.code != http.StatusOK || len(a.body.IncidentIDs) != 1 {
		t.Fatalf("firing: %d %s", a.code, a.raw)
	}
	id := a.body.IncidentIDs[0]
	p.kill(syscall.SIGTERM)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		tail(t, p.log.Name())
		t.Fatalf("firebreak dev exited %d on SIGTERM, want 0", code)
	}

	startDev(t, bin, nil, args...)
	waitReady()
	again := post(t, url, fixture(t, "firing-single.json"))
	if again.code != http.StatusOK || len(again.body.IncidentIDs) != 1 || again.body.IncidentIDs[0] != id {
		t.Fatalf("after restart: %d %s, want the same incident %s", again.code, again.raw, id)
	}
	var st incident.State
	testutil.PollUntil(t, 30*time.Second, "incidents show reports both notifications", func() (bool, error) {
		out, err := exec.Command(bin, "incidents", "show", "--json", "--address", temporal, id).Output()
		if err != nil {
			return false, err
		}
		if err := json.Unmarshal(out, &st); err != nil {
			return false, err
		}
		return st.Notifications == 2 && st.Outcome == incident.OutcomeEscalated, fmt.Errorf("notifications %d, outcome %q", st.Notifications, st.Outcome)
	})
	resolved := post(t, url, fixture(t, "resolved-single.json"))
	if resolved.code != http.StatusOK || resolved.body.Alerts[0].Result != "resolved" {
		t.Fatalf("resolved: %d %s", resolved.code, resolved.raw)
	}
	out, err := exec.Command(bin, "incidents", "list", "--address", temporal).CombinedOutput()
	if err != nil || !strings.Contains(string(out), id) {
		t.Fatalf("incidents list: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "incidents", "show", "--address", temporal, "no-such-incident")
	if out, _ := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "no incident") {
		t.Fatalf("incidents show of an unknown incident: exit %d: %s", cmd.ProcessState.ExitCode(), out)
	}
}
