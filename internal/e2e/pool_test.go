package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/examples/pool-exhaustion/demo"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/intake"
	"github.com/firebreak-dev/firebreak/internal/secrets"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/workflows"
)

// The pool-exhaustion scenario on real servers: PostgreSQL and PgBouncer
// with a pool of 2, the demo payment service under load, Prometheus
// evaluating the example's alert rule, Alertmanager posting to firebreak's
// webhook, and firebreak on an embedded Temporal server.

const (
	poolDatabase = "demo"
	startPool    = 2
	// The load generator is closed-loop: each of loadWorkers workers sends
	// at most one request per 100 ms, and waits for the answer. A pool of P
	// connections at 20 ms a transaction serves P/0.02 requests/s; when that
	// is less than the 300 requests/s offered, requests queue until the
	// latency is loadWorkers/capacity (Little's law): 300 ms with a pool of
	// 2, 200 ms with 3 — both well over requestTimeout, so they fail. A pool
	// of 12 serves 600/s, twice the offer: latency stays near 20 ms, far
	// under requestTimeout, even with a busy machine's scheduling jitter.
	loadWorkers    = 30
	requestTimeout = 120 * time.Millisecond
)

// scenario is everything but firebreak itself.
type scenario struct {
	bouncer   *testutil.PgBouncer
	prom      *testutil.Prometheus
	am        *testutil.Alertmanager
	demoURL   string
	webhook   string // the address firebreak must listen on
	stopLoad  context.CancelFunc
	loadDone  chan demo.LoadStats
	secretDir string
}

func startScenario(t *testing.T, token string) *scenario {
	t.Helper()
	pg := testutil.StartPostgres(t)
	b := testutil.StartPgBouncer(t, pg, testutil.PgBouncerOptions{Database: poolDatabase, PoolSize: startPool, MaxClientConn: 200})

	srv, err := demo.New(demo.Config{DSN: b.AppDSN(), Service: "demo", Timeout: requestTimeout, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln); close(served) }()
	t.Cleanup(func() { cancel(); <-served; srv.Close() })

	rules, err := os.ReadFile(filepath.Join(repoRoot, "examples", "pool-exhaustion", "prometheus", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	webhook := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	am := testutil.StartAlertmanager(t, testutil.AlertmanagerOptions{WebhookURL: "http://" + webhook + "/webhook/alertmanager", BearerToken: token})
	prom := testutil.StartPrometheus(t, testutil.PrometheusOptions{
		ScrapeTargets:   []string{ln.Addr().String()},
		RuleFiles:       map[string]string{"rules.yml": string(rules)},
		AlertmanagerURL: am.URL,
	})
	secretDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(secretDir, "pgbouncer_admin"), []byte(b.AdminDSN()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &scenario{bouncer: b, prom: prom, am: am, demoURL: "http://" + ln.Addr().String() + "/pay", webhook: webhook, secretDir: secretDir}
}

// load starts the bounded load generator (loopback only, at most maxFor).
func (s *scenario) load(t *testing.T, maxFor time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopLoad = cancel
	s.loadDone = make(chan demo.LoadStats, 1)
	go func() {
		st, err := demo.Load(ctx, s.demoURL, loadWorkers, maxFor)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("load: %v", err)
		}
		s.loadDone <- st
	}()
	t.Cleanup(func() { s.stop(t) })
}

func (s *scenario) stop(t *testing.T) {
	if s.stopLoad == nil {
		return
	}
	s.stopLoad()
	s.stopLoad = nil
	st := <-s.loadDone
	t.Logf("load: %s", st)
}

// poolSize reads default_pool_size from PgBouncer's SHOW CONFIG.
func (s *scenario) poolSize(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.bouncer.AdminDSN())
	if err != nil {
		t.Fatalf("connect to pgbouncer admin: %v", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "SHOW CONFIG")
	if err != nil {
		t.Fatalf("SHOW CONFIG: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(vals[0]) == "default_pool_size" {
			return fmt.Sprint(vals[1])
		}
	}
	t.Fatal("SHOW CONFIG has no default_pool_size")
	return ""
}

func (s *scenario) engineOptions(t *testing.T, runbookDir string) engine.Options {
	return engine.Options{
		Listen:            s.webhook,
		Runbooks:          loadRunbooks(t, runbookDir),
		PrometheusURL:     s.prom.URL,
		PrometheusTimeout: 5 * time.Second,
		Secrets:           secrets.Source{Dir: s.secretDir},
		RecordPath:        filepath.Join(t.TempDir(), "escalations.jsonl"),
		Settings:          workflows.Settings{Linger: 10 * time.Minute},
	}
}

func demoIncidentID(t *testing.T, runbookDir, name string) string {
	set := loadRunbooks(t, runbookDir)
	rb := set.Get(name)
	if rb == nil {
		t.Fatalf("no runbook %s in %s", name, runbookDir)
	}
	// The rule's alert carries alertname, service and severity; the runbook
	// groups by service, so the key does not depend on the fingerprint.
	return intake.IncidentID(rb.Name, rb.IncidentKey(map[string]string{"alertname": "DemoHighErrorRate", "service": "demo", "severity": "page"}, ""))
}

// waitOutcome polls the incident until it has an outcome.
func waitOutcome(t *testing.T, c client.Client, id string, timeout time.Duration) incident.State {
	t.Helper()
	var st incident.State
	testutil.PollUntil(t, timeout, "incident "+id+" reaches an outcome", func() (bool, error) {
		var err error
		st, err = incidentState(t, c, id)
		if err != nil {
			return false, err
		}
		return st.Outcome != "", fmt.Errorf("phase %s", st.Phase)
	})
	return st
}

func TestPoolExhaustionResolved(t *testing.T) {
	s := startScenario(t, "")
	srv := devservertest.StartForTest(t)
	dir := filepath.Join(repoRoot, "examples", "pool-exhaustion", "runbooks")
	opts := s.engineOptions(t, dir)
	eng := startEngine(t, srv, opts)
	s.load(t, 4*time.Minute)

	id := demoIncidentID(t, dir, "pool-exhaustion")
	st := waitOutcome(t, eng.Client(), id, 3*time.Minute)
	if st.Outcome != incident.OutcomeResolved {
		t.Fatalf("outcome %s: %s\n%s", st.Outcome, st.Reason, timeline(st))
	}
	if got := s.poolSize(t); got != "12" {
		t.Fatalf("SHOW CONFIG default_pool_size = %s, want 12 (2 +500%%, max 20)", got)
	}
	if len(st.Actions) != 1 || st.Actions[0].Prior != startPool || st.Actions[0].Planned != 12 || !st.Actions[0].Applied {
		t.Fatalf("actions = %+v, want one applied 2 -> 12", st.Actions)
	}
	if st.Verification != "passed" || len(st.Diagnosis) == 0 {
		t.Fatalf("verification %q, diagnosis %+v", st.Verification, st.Diagnosis)
	}
	if v := metricValue(t, eng.Addr(), `firebreak_actions_total{kind="pgbouncer_pool_size",result="applied"}`); v != "1" {
		t.Fatalf("actions metric = %q, want 1", v)
	}
	if v := metricValue(t, eng.Addr(), `firebreak_alert_to_first_action_seconds_count{runbook="pool-exhaustion"}`); v != "1" {
		t.Fatalf("alert-to-first-action observations = %q, want 1", v)
	}

	// Load off: the alert resolves, Alertmanager says so, the incident closes.
	s.stop(t)
	final := waitClosed(t, eng.Client(), id, 2*time.Minute)
	if final.Phase != incident.PhaseClosed || final.AlertResolvedAt.IsZero() || final.Outcome != incident.OutcomeResolved {
		t.Fatalf("after the alert resolved: phase %s, outcome %s, resolved at %v", final.Phase, final.Outcome, final.AlertResolvedAt)
	}
	recordHistory(t, eng.Client(), id, "pool-resolved", "PgBouncerPoolSet")
}

func TestPoolExhaustionEscalatesWhenVerificationFails(t *testing.T) {
	s := startScenario(t, "")
	srv := devservertest.StartForTest(t)
	dir := filepath.Join("testdata", "runbooks", "escalate")
	opts := s.engineOptions(t, dir)
	eng := startEngine(t, srv, opts)
	s.load(t, 4*time.Minute)

	id := demoIncidentID(t, dir, "pool-too-small")
	st := waitOutcome(t, eng.Client(), id, 3*time.Minute)
	if st.Outcome != incident.OutcomeEscalated || !strings.Contains(st.Reason, "verification failed") {
		t.Fatalf("outcome %s: %s, want escalated for failed verification\n%s", st.Outcome, st.Reason, timeline(st))
	}
	if got := s.poolSize(t); got != "3" {
		t.Fatalf("SHOW CONFIG default_pool_size = %s, want 3 (the runbook's max)", got)
	}
	// The record humans get: the diagnosis, the action with its prior value,
	// the failed check.
	raw, err := os.ReadFile(opts.RecordPath)
	if err != nil {
		t.Fatalf("escalation record: %v", err)
	}
	var esc struct {
		IncidentID string
		Reason     string
		Record     incident.State
	}
	if err := json.Unmarshal([]byte(strings.SplitN(string(raw), "\n", 2)[0]), &esc); err != nil {
		t.Fatalf("escalation record is not JSON: %v\n%s", err, raw)
	}
	r := esc.Record
	if esc.IncidentID != id || len(r.Diagnosis) < 2 || r.Diagnosis[0].Error != "" {
		t.Fatalf("escalation lacks the diagnosis: %+v", r.Diagnosis)
	}
	if len(r.Actions) != 1 || r.Actions[0].Prior != 2 || r.Actions[0].Planned != 3 || !r.Actions[0].Applied {
		t.Fatalf("escalation lacks the action: %+v", r.Actions)
	}
	if len(r.Checks) == 0 || r.Checks[len(r.Checks)-1].Passed || r.Verification != "failed" {
		t.Fatalf("escalation lacks the failed check: %+v (verification %q)", r.Checks, r.Verification)
	}
	recordHistory(t, eng.Client(), id, "pool-escalated", "PgBouncerPoolSet")
}

func timeline(st incident.State) string {
	var b strings.Builder
	for _, e := range st.Timeline {
		fmt.Fprintf(&b, "  %s %-10s %s\n", e.At.Format("15:04:05.000"), e.Kind, e.Message)
	}
	return b.String()
}

// scheduledActivities counts ActivityTaskScheduled events by activity type.
func scheduledActivities(t *testing.T, c client.Client, id string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			counts[a.ActivityType.Name]++
		}
	}
	return counts
}

// recordHistory writes the incident's history for the replay tests in
// workflows/ when FIREBREAK_RECORD_HISTORIES is set, plus a copy whose
// activity named rename was renamed, which replay must refuse as
// nondeterministic.
func recordHistory(t *testing.T, c client.Client, id, name, rename string) {
	t.Helper()
	if os.Getenv("FIREBREAK_RECORD_HISTORIES") == "" {
		return
	}
	var h history.History
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	out, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repoRoot, "workflows", "testdata", "histories")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(out), `"`+rename+`"`, `"`+rename+`V0"`, 1)
	if broken == string(out) {
		t.Fatalf("history has no %s to rename", rename)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".nondeterministic.json"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events of %s into %s", len(h.Events), id, dir)
}
