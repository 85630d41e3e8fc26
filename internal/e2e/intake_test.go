// Package e2e holds firebreak's end-to-end tests: the real engine against a
// real (embedded) Temporal server, and, for the incident scenarios, real
// PostgreSQL, PgBouncer, Prometheus and Alertmanager. They live in one
// package because each test binary that embeds Temporal links a 200 MB
// server: one binary, one link.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/devserver"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/intake"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// repoRoot is the repository root, from this package's directory.
const repoRoot = "../.."

func loadRunbooks(t testing.TB, paths ...string) *runbooks.Set {
	t.Helper()
	set, _, diags := runbooks.LoadPaths(paths...)
	if diags.HasErrors() {
		t.Fatalf("load runbooks %v: %s", paths, diags.Error())
	}
	return set
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(&tlogWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tlogWriter struct{ t *testing.T }

func (w *tlogWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // t.Log after the test ended panics
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startEngine runs receiver and worker against srv.
func startEngine(t *testing.T, srv *devserver.Server, o engine.Options) *engine.Engine {
	t.Helper()
	if o.TemporalAddress == "" {
		o.TemporalAddress = srv.FrontendAddr()
		o.Namespace = srv.Namespace()
	}
	if o.TaskQueue == "" {
		o.TaskQueue = "firebreak-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Log == nil {
		o.Log = testLogger(t)
	}
	e, err := engine.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start engine: %v", err)
	}
	t.Cleanup(e.Stop)
	return e
}

type answer struct {
	code int
	body intake.Response
	raw  string
	hdr  http.Header
}

func post(t *testing.T, url string, body []byte, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, raw: string(raw), hdr: resp.Header}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// incidentState polls the incident's state query.
func incidentState(t *testing.T, c client.Client, id string) (incident.State, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var st incident.State
	v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryState)
	if err != nil {
		return st, err
	}
	return st, v.Get(&st)
}

func waitClosed(t *testing.T, c client.Client, id string, timeout time.Duration) incident.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var st incident.State
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &st); err != nil {
		t.Fatalf("incident %s did not complete within %s: %v", id, timeout, err)
	}
	return st
}

func metricValue(t *testing.T, addr, series string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, series+" ") {
			return strings.TrimPrefix(line, series+" ")
		}
	}
	return ""
}

// TestWebhookAnswers drives the webhook with the real Alertmanager bodies in
// testdata against a real Temporal server and checks every row of the
// answer table in ../shared/design/cli.md.
func TestWebhookAnswers(t *testing.T) {
	srv := devservertest.StartForTest(t)
	dir := t.TempDir()
	eng := startEngine(t, srv, engine.Options{
		Runbooks:   loadRunbooks(t, filepath.Join(repoRoot, "examples", "runbooks")),
		RecordPath: filepath.Join(dir, "escalations.jsonl"),
		Settings:   workflows.Settings{Linger: 10 * time.Minute},
	})
	url := "http://" + eng.Addr() + "/webhook/alertmanager"
	c := eng.Client()

	first := post(t, url, fixture(t, "firing-single.json"))
	if first.code != http.StatusOK || len(first.body.IncidentIDs) != 1 || first.body.Alerts[0].Result != intake.ResultStarted {
		t.Fatalf("firing: %d %s, want 200 with one incident ID, started", first.code, first.raw)
	}
	id := first.body.IncidentIDs[0]
	desc1, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Fatalf("the answer came before the workflow was recorded: %v", err)
	}

	again := post(t, url, fixture(t, "firing-single.json"))
	if again.code != http.StatusOK || len(again.body.IncidentIDs) != 1 || again.body.IncidentIDs[0] != id || again.body.Alerts[0].Result != intake.ResultSignalled {
		t.Fatalf("repeat: %d %s, want 200 with the same ID %s, signalled", again.code, again.raw, id)
	}
	desc2, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	if r1, r2 := desc1.WorkflowExecutionInfo.Execution.RunId, desc2.WorkflowExecutionInfo.Execution.RunId; r1 != r2 {
		t.Fatalf("repeat started a second workflow run: %s then %s", r1, r2)
	}
	testutil.PollUntil(t, 30*time.Second, "incident hears both notifications and escalates (no Prometheus here)", func() (bool, error) {
		st, err := incidentState(t, c, id)
		if err != nil {
			return false, err
		}
		return st.Notifications == 2 && st.Outcome == incident.OutcomeEscalated, fmt.Errorf("state: %d notifications, outcome %q", st.Notifications, st.Outcome)
	})

	resolved := post(t, url, fixture(t, "resolved-single.json"))
	if resolved.code != http.StatusOK || len(resolved.body.IncidentIDs) != 1 || resolved.body.IncidentIDs[0] != id || resolved.body.Alerts[0].Result != intake.ResultResolved {
		t.Fatalf("resolved: %d %s", resolved.code, resolved.raw)
	}
	st := waitClosed(t, c, id, 30*time.Second)
	if st.Phase != incident.PhaseClosed || st.AlertResolvedAt.IsZero() {
		t.Fatalf("resolved alert should close the incident: %+v", st)
	}
	// The escalation reached the record sink with the diagnosis error.
	rec, err := os.ReadFile(filepath.Join(dir, "escalations.jsonl"))
	if err != nil || !bytes.Contains(rec, []byte(id)) || !bytes.Contains(rec, []byte("prometheus")) {
		t.Fatalf("escalation record missing or incomplete (%v): %s", err, rec)
	}
	// A resolved alert for a closed incident is not an error, and starts nothing.
	late := post(t, url, fixture(t, "resolved-single.json"))
	if late.code != http.StatusOK || late.body.Alerts[0].Result != intake.ResultNoOpenIncident {
		t.Fatalf("late resolved: %d %s", late.code, late.raw)
	}

	bad := []struct {
		name   string
		body   []byte
		code   int
		reason string
	}{
		{"malformed JSON", []byte(`{"version":"4","alerts":[`), http.StatusBadRequest, "malformed"},
		{"wrong version", bytes.Replace(fixture(t, "firing-single.json"), []byte(`"version":"4"`), []byte(`"version":"3"`), 1), http.StatusBadRequest, "malformed"},
		{"no alerts", []byte(`{"version":"4","status":"firing","alerts":[]}`), http.StatusBadRequest, "malformed"},
		{"bad status", bytes.Replace(fixture(t, "firing-single.json"), []byte(`"status":"firing","labels"`), []byte(`"status":"burning","labels"`), 1), http.StatusBadRequest, "malformed"},
		{"2 MiB body", append([]byte(`{"version":"4","alerts":[],"pad":"`), append(bytes.Repeat([]byte("x"), 2<<20), []byte(`"}`)...)...), http.StatusRequestEntityTooLarge, "too_large"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			before := metricValue(t, eng.Addr(), `firebreak_refusals_total{reason="`+b.reason+`"}`)
			a := post(t, url, b.body)
			if a.code != b.code || a.body.Error == "" || !strings.Contains(a.raw, `"incident_ids":[],"alerts":[]`) {
				t.Fatalf("%s: %d %s, want %d with a reason and empty lists", b.name, a.code, a.raw, b.code)
			}
			after := metricValue(t, eng.Addr(), `firebreak_refusals_total{reason="`+b.reason+`"}`)
			if after == before {
				t.Fatalf("refusal not counted: %q -> %q", before, after)
			}
		})
	}
}

func TestWebhookToken(t *testing.T) {
	srv := devservertest.StartForTest(t)
	eng := startEngine(t, srv, engine.Options{
		Role:     engine.RoleReceiver,
		Runbooks: loadRunbooks(t, filepath.Join(repoRoot, "examples", "runbooks")),
		Token:    "s3cret-token",
	})
	url := "http://" + eng.Addr() + "/webhook/alertmanager"
	for _, tc := range []struct {
		name   string
		header []string
		code   int
	}{
		{"missing", nil, http.StatusUnauthorized},
		{"wrong", []string{"Authorization", "Bearer nope"}, http.StatusUnauthorized},
		{"not bearer", []string{"Authorization", "Basic czNjcmV0LXRva2Vu"}, http.StatusUnauthorized},
		{"right", []string{"Authorization", "Bearer s3cret-token"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, url, fixture(t, "firing-single.json"), tc.header...)
			if a.code != tc.code {
				t.Fatalf("%d %s, want %d", a.code, a.raw, tc.code)
			}
			if strings.Contains(a.raw, "s3cret-token") {
				t.Fatal("the answer leaks the token")
			}
		})
	}
}

// TestWebhookTemporalDown: with no Temporal to record the alert, the
// receiver answers 503 (Alertmanager retries) and counts the refusal.
func TestWebhookTemporalDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	eng := startEngine(t, nil, engine.Options{
		Role:            engine.RoleReceiver,
		TemporalAddress: dead,
		Namespace:       "default",
		Runbooks:        loadRunbooks(t, filepath.Join(repoRoot, "examples", "runbooks")),
	})
	a := post(t, "http://"+eng.Addr()+"/webhook/alertmanager", fixture(t, "firing-single.json"))
	if a.code != http.StatusServiceUnavailable || a.hdr.Get("Retry-After") == "" {
		t.Fatalf("%d %s, want 503 with Retry-After", a.code, a.raw)
	}
	if v := metricValue(t, eng.Addr(), `firebreak_refusals_total{reason="temporal_unavailable"}`); v != "1" {
		t.Fatalf("temporal_unavailable refusals = %q, want 1", v)
	}
	resp, err := http.Get("http://" + eng.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d with Temporal down, want 503", resp.StatusCode)
	}
}
