package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// TestEngineOptions: the configuration's cluster and guardrails reach the
// engine, and no cluster means a nil client (the activities' "not
// configured"), never a typed nil.
func TestEngineOptions(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := "apiVersion: v1\nkind: Config\ncurrent-context: lab\nclusters:\n- name: lab\n  cluster:\n    server: https://lab.k8s.internal:6443\n" +
		"users:\n- name: u\n  user: {}\ncontexts:\n- name: lab\n  context:\n    cluster: lab\n    user: u\n"
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	src := `
kubernetes {
  kubeconfig = "kubeconfig"
}
guardrails {
  max_concurrent_remediations = 3
  storm {
    incidents = 8
    window    = "1m"
  }
}
worker {
  sticky_cache_size = 0
  activity_pollers  = 3
}
`
	cfg, diags := config.Parse(filepath.Join(dir, "firebreak.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	o, cluster, err := engineOptions(cfg, &runbooks.Set{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if o.Kube == nil || cluster == nil || cluster.Context != "lab" || cluster.Server != "https://lab.k8s.internal:6443" {
		t.Errorf("kube client %v, cluster %+v", o.Kube, cluster)
	}
	want := workflows.ControlSettings{MaxConcurrent: 3, StormThreshold: 8, StormWindow: time.Minute, StormQuiet: time.Minute, StormPageHold: 30 * time.Second}
	if o.Settings.Control != want {
		t.Errorf("Settings.Control = %+v, want %+v", o.Settings.Control, want)
	}
	// sticky_cache_size = 0 means no cache, which the engine spells
	// negative (its 0 is the SDK default).
	wantWorker := engine.WorkerTuning{StickyCacheSize: -1, MaxConcurrentWorkflowTasks: config.DefaultMaxConcurrentWorkflowTasks,
		MaxConcurrentActivities: config.DefaultMaxConcurrentActivities, WorkflowPollers: config.DefaultWorkflowPollers, ActivityPollers: 3}
	if o.Worker != wantWorker {
		t.Errorf("Worker = %+v, want %+v", o.Worker, wantWorker)
	}

	o, cluster, err = engineOptions(config.Default(), &runbooks.Set{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if o.Kube != nil || cluster != nil {
		t.Errorf("no kubernetes block: client %#v, cluster %+v", o.Kube, cluster)
	}
	if o.Settings.Control.MaxConcurrent != config.DefaultMaxConcurrent || o.Settings.Control.StormThreshold != config.DefaultStormIncidents {
		t.Errorf("default Settings.Control = %+v", o.Settings.Control)
	}
}

// syncBuffer is a bytes.Buffer firebreak dev may write to while the test
// reads it.
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

// startDev runs `firebreak dev` in-process on free ports until the test
// ends, and returns the receiver's base URL and its output.
func startDev(t *testing.T, args ...string) (server string, out, errOut *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, append([]string{"dev", "-temporal-port", "0", "-ui-port", "-1", "-listen", "127.0.0.1:0",
			"-runbooks", "../../examples/runbooks", "-log-level", "warn"}, args...), IO{In: strings.NewReader(""), Out: out, Err: errOut})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != ExitOK {
			t.Errorf("firebreak dev exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
	})
	webhook := regexp.MustCompile(`webhook: +POST (http://\S+)/webhook/alertmanager`)
	testutil.PollUntil(t, 2*time.Minute, "firebreak dev's banner", func() (bool, error) {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("firebreak dev exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
		default:
		}
		m := webhook.FindStringSubmatch(out.String())
		if m == nil {
			return false, nil
		}
		server = m[1]
		return true, nil
	})
	return server, out, errOut
}

// TestDevOperator: firebreak dev with no operator blocks makes the dev
// operator, its token in <state>/operator-token with mode 0600, printed
// nowhere; the operator commands find it there without being told, and the
// running receiver accepts it. /metrics carries the version command's
// build.
func TestDevOperator(t *testing.T) {
	state := t.TempDir()
	server, out, errOut := startDev(t, "-state", state)
	tokenPath := filepath.Join(state, devTokenFile)
	fi, err := os.Stat(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", tokenPath, fi.Mode().Perm())
	}
	token, err := readDevToken(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := "operator:   " + devOperatorBanner(state) + "\n"; !strings.Contains(out.String(), want) {
		t.Errorf("the banner lacks %q:\n%s", want, out)
	}

	t.Setenv("FIREBREAK_OPERATOR_TOKEN", "")
	code, stdout, stderr := run(t, "guardrails", "-server", server, "-state", state)
	if code != ExitOK || !strings.Contains(stdout, "automation:  running") {
		t.Errorf("guardrails with the dev token: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	// An incident that is not open is the incident's refusal (409, exit
	// 1): the token got through.
	code, _, stderr = run(t, "ack", "-server", server, "-state", state, "checkout-errors/none")
	if code != ExitFinding || !strings.Contains(stderr, "409 Conflict") {
		t.Errorf("ack with the dev token: exit %d: %s", code, stderr)
	}
	code, _, stderr = run(t, "guardrails", "-server", server, "-state", t.TempDir())
	if code != ExitError || !strings.Contains(stderr, "no operator token") {
		t.Errorf("guardrails without a token: exit %d: %s", code, stderr)
	}

	resp, err := http.Get(server + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	b := buildInfo()
	want := fmt.Sprintf(`firebreak_build_info{goversion=%q,revision=%q,version=%q} 1`, b.Go, b.Revision, b.Version)
	if !strings.Contains(string(body), want+"\n") {
		t.Errorf("/metrics lacks %s:\n%s", want, grepLines(string(body), "firebreak_build_info"))
	}

	for name, s := range map[string]string{"stdout": out.String(), "stderr": errOut.String()} {
		if strings.Contains(s, token) {
			t.Errorf("firebreak dev printed the operator token on %s", name)
		}
	}
}

// TestDevWithOperators: a config with operator blocks is used as it is:
// no dev operator, no token file, and its operator's token works.
func TestDevWithOperators(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	const token = "carol-operator-token-0123456789"
	if err := os.WriteFile(filepath.Join(dir, "carol.token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "firebreak.hcl")
	if err := os.WriteFile(cfg, []byte("operator \"carol\" {\n  token_file = \"carol.token\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	server, out, _ := startDev(t, "-state", state, "-config", cfg)
	if _, err := os.Stat(filepath.Join(state, devTokenFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dev operator token was written with operators configured: %v", err)
	}
	if strings.Contains(out.String(), "operator:") {
		t.Errorf("the banner names a dev operator:\n%s", out)
	}
	t.Setenv("FIREBREAK_OPERATOR_TOKEN", token)
	if code, _, stderr := run(t, "guardrails", "-server", server, "-state", state); code != ExitOK {
		t.Errorf("guardrails with the configured token: exit %d: %s", code, stderr)
	}
}

// TestDevOperatorToken: the token file is kept across restarts while
// valid, replaced when not, and always mode 0600.
func TestDevOperatorToken(t *testing.T) {
	state := t.TempDir()
	path := filepath.Join(state, devTokenFile)
	first, err := devOperator(state)
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != "dev" || len(first.Token.Value()) != 64 {
		t.Fatalf("operator %q with a %d-character token", first.Name, len(first.Token.Value()))
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := devOperator(state)
	if err != nil {
		t.Fatal(err)
	}
	if again.Token.Value() != first.Token.Value() {
		t.Error("a restart made a new token")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after reuse, want 0600", fi.Mode().Perm())
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh, err := devOperator(state)
	if err != nil {
		t.Fatal(err)
	}
	if v := fresh.Token.Value(); v == "short" || v == first.Token.Value() || len(v) != 64 {
		t.Errorf("an invalid token file was not replaced: %d characters", len(v))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v of a new token, want 0600", fi.Mode().Perm())
	}
	if fmt.Sprint(fresh.Token) == fresh.Token.Value() {
		t.Error("the token prints as itself")
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
