package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
)

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func newClient(t *testing.T, url string) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	c, err := New(Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: url, Timeout: 5 * time.Second}, slog.New(slog.DiscardHandler), WithSleep(s.sleep))
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func escalation() Event {
	return Event{
		DedupKey:  "pool-exhaustion/3f2a9c1e",
		Summary:   "PgBouncerPoolExhausted on app: verification failed after growing the pool",
		Severity:  SeverityFromAlert(map[string]string{"severity": "page"}),
		Source:    "pgbouncer:6432",
		Component: "pgbouncer",
		Group:     "app",
		Class:     "PgBouncerPoolExhausted",
		CustomDetails: map[string]any{
			"diagnosis":    map[string]any{"waiting_clients": 42},
			"actions":      []string{"grow_pool pgbouncer_pool_size app: 20 → 30 (applied)"},
			"verification": "cl_waiting still 40 after 2m",
		},
		Links:     []Link{{Href: "http://127.0.0.1:8233/namespaces/default/workflows/x", Text: "Timeline"}, {Href: "http://127.0.0.1:9090/graph", Text: "Alert source"}},
		Timestamp: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
	}
}

func TestTriggerRetryResolve(t *testing.T) {
	srv := pdserver.Start(t)
	c, _ := newClient(t, srv.URL)
	ctx := context.Background()

	if err := c.Trigger(ctx, escalation()); err != nil {
		t.Fatal(err)
	}
	if err := c.Trigger(ctx, escalation()); err != nil {
		t.Fatal(err)
	}
	in := srv.Incidents()
	if len(in) != 1 || in[0].Triggers != 2 || in[0].Status != pdserver.StatusTriggered || in[0].Severity != SeverityCritical {
		t.Fatalf("after a retried trigger: %+v", in)
	}
	if got := in[0].CustomDetails["verification"]; got != "cl_waiting still 40 after 2m" {
		t.Errorf("custom details lost the verification evidence: %v", in[0].CustomDetails)
	}
	ev := srv.Events()[0]
	if len(ev.Links) != 2 || ev.Payload["timestamp"] != "2026-11-23T12:00:00Z" || ev.Payload["component"] != "pgbouncer" {
		t.Errorf("event = %+v", ev)
	}

	if err := c.Acknowledge(ctx, "pool-exhaustion/3f2a9c1e"); err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(ctx, "pool-exhaustion/3f2a9c1e"); err != nil {
		t.Fatal(err)
	}
	got, ok := srv.Incident("pool-exhaustion/3f2a9c1e")
	if !ok || got.Status != pdserver.StatusResolved || len(srv.Incidents()) != 1 {
		t.Fatalf("after resolve: %+v (%d incidents)", got, len(srv.Incidents()))
	}
}

func TestLimits(t *testing.T) {
	srv := pdserver.Start(t)
	c, _ := newClient(t, srv.URL)
	ctx := context.Background()

	e := escalation()
	e.DedupKey = strings.Repeat("k", 400)
	e.Summary = strings.Repeat("é", 3000)
	e.CustomDetails = map[string]any{
		"diagnosis": strings.Repeat("d", 400<<10),
		"log":       strings.Repeat("l", 300<<10),
		"actions":   []string{"small"},
	}
	if err := c.Trigger(ctx, e); err != nil {
		t.Fatal(err)
	}
	evs := srv.Events()
	if len(evs) != 1 || evs[0].Status != http.StatusAccepted {
		t.Fatalf("events %+v", evs)
	}
	ev := evs[0]
	if len(ev.DedupKey) != MaxDedupKeyLen || ev.DedupKey != DedupKey(e.DedupKey) {
		t.Errorf("dedup key %q (%d chars)", ev.DedupKey, len(ev.DedupKey))
	}
	sum := ev.Payload["summary"].(string)
	if n := len([]rune(sum)); n != MaxSummaryLen || !strings.HasSuffix(sum, "[truncated]") {
		t.Errorf("summary has %d characters, ends %q", n, sum[len(sum)-20:])
	}
	d := ev.Payload["custom_details"].(map[string]any)
	if d["actions"] == nil || !strings.HasPrefix(d["diagnosis"].(string), "[trimmed") || !strings.Contains(d[TrimmedField].(string), "diagnosis") {
		t.Errorf("details not trimmed sensibly: %v", keysAndPrefixes(d))
	}
	if ev.Size > pdserver.MaxBodyBytes {
		t.Errorf("event is %d bytes", ev.Size)
	}
	if err := c.Resolve(ctx, e.DedupKey); err != nil {
		t.Fatal(err)
	}
	if in, _ := srv.Incident(DedupKey(e.DedupKey)); in.Status != pdserver.StatusResolved {
		t.Errorf("long key did not resolve its incident: %+v", in)
	}
}

func keysAndPrefixes(d map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range d {
		s, _ := v.(string)
		if len(s) > 60 {
			s = s[:60]
		}
		out[k] = s
	}
	return out
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		fail      int
		status    int
		wantCalls int
		wantErr   bool
		wantIncid int
	}{
		{name: "429 twice then accepted", fail: 2, status: http.StatusTooManyRequests, wantCalls: 3, wantIncid: 1},
		{name: "503 forever stops after max attempts", fail: 10, status: http.StatusServiceUnavailable, wantCalls: MaxAttempts, wantErr: true},
		{name: "429 forever stops after max attempts", fail: 10, status: http.StatusTooManyRequests, wantCalls: MaxAttempts, wantErr: true},
		{name: "400 is not retried", fail: 10, status: http.StatusBadRequest, wantCalls: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := pdserver.Start(t)
			srv.FailNext(tt.fail, tt.status)
			c, s := newClient(t, srv.URL)
			err := c.Trigger(context.Background(), escalation())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil && strings.Contains(err.Error(), pdserver.TestRoutingKey) {
				t.Errorf("error leaks the routing key: %v", err)
			}
			if n := len(srv.Events()); n != tt.wantCalls {
				t.Errorf("%d requests, want %d", n, tt.wantCalls)
			}
			if n := len(s.waits()); n != tt.wantCalls-1 {
				t.Errorf("%d waits, want %d", n, tt.wantCalls-1)
			}
			for i, w := range s.waits() {
				base := time.Second << i
				if w < base || w >= base+base/2 {
					t.Errorf("wait %d = %s, want [%s, %s)", i, w, base, base+base/2)
				}
			}
			if n := len(srv.Incidents()); n != tt.wantIncid {
				t.Errorf("%d incidents, want %d", n, tt.wantIncid)
			}
		})
	}
}

func TestInvalidEventNotRetried(t *testing.T) {
	srv := pdserver.Start(t)
	c, err := New(Config{RoutingKey: "short-key", EventsURL: srv.URL + "/v2/enqueue"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Trigger(context.Background(), escalation())
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusBadRequest || se.Temporary() || !strings.Contains(err.Error(), "routing_key") {
		t.Fatalf("err = %v, want a 400 naming routing_key", err)
	}
	if strings.Contains(err.Error(), "short-key") {
		t.Errorf("error leaks the routing key: %v", err)
	}
	if n := len(srv.Events()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestSeverityFromAlert(t *testing.T) {
	for in, want := range map[string]string{
		"page": "critical", "critical": "critical", "CRITICAL": "critical", "error": "error",
		"warning": "warning", "warn": "warning", "info": "info", "": "error", "disaster": "error",
	} {
		if got := SeverityFromAlert(map[string]string{"severity": in}); got != want {
			t.Errorf("SeverityFromAlert(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SeverityFromAlert(nil); got != "error" {
		t.Errorf("no labels: %q", got)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{{}, {RoutingKey: "k", EventsURL: "ftp://x"}} {
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	c, err := New(Config{RoutingKey: "k"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Trigger(context.Background(), Event{Summary: "x"}); err == nil {
		t.Error("trigger without a dedup key succeeded")
	}
	if err := c.Resolve(context.Background(), ""); err == nil {
		t.Error("resolve without a dedup key succeeded")
	}
}

func TestEventFromStateCarriesContext(t *testing.T) {
	srv := pdserver.Start(t)
	c, _ := newClient(t, srv.URL)
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := incident.State{
		IncidentID: "pool-exhaustion/3f2a9c1e",
		Runbook:    "pool-exhaustion",
		Phase:      incident.PhaseEscalating,
		Reason:     "verification failed",
		Alert: incident.Alert{
			Labels:       map[string]string{"alertname": "PgBouncerPoolExhausted", "severity": "page", "instance": "pgbouncer:6432", "service": "pgbouncer"},
			Annotations:  map[string]string{"summary": "Clients waiting on pool app"},
			StartsAt:     at,
			GeneratorURL: "http://127.0.0.1:9090/graph",
		},
		Diagnosis:    []incident.DiagnosisRecord{{Name: "waiting", Query: "cl_waiting", Value: 42, Found: true, Series: 1}},
		Actions:      []incident.ActionRecord{{Name: "grow", Kind: "pgbouncer_pool_size", Target: "app", Prior: 20, Planned: 30, Applied: true, Changed: true, At: at}},
		Checks:       []incident.CheckRecord{{Query: "cl_waiting == 0", Value: 40, Found: true, Passed: false, At: at.Add(2 * time.Minute)}},
		Verification: "failed",
	}
	e := EventFromState(s, "", "http://127.0.0.1:8233/x")
	if e.DedupKey != s.IncidentID || e.Severity != SeverityCritical || e.Source != "pgbouncer:6432" || e.Class != "PgBouncerPoolExhausted" ||
		e.Summary != "Clients waiting on pool app: verification failed" || len(e.Links) != 2 || !e.Timestamp.Equal(at) {
		t.Fatalf("event = %+v", e)
	}
	if err := c.Trigger(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	in, _ := srv.Incident(s.IncidentID)
	actions, _ := in.CustomDetails["actions"].([]any)
	checks, _ := in.CustomDetails["checks"].([]any)
	if len(actions) != 1 || len(checks) != 1 || in.CustomDetails["diagnosis"] == nil || in.CustomDetails["verification"] != "failed" {
		t.Fatalf("custom details = %v", in.CustomDetails)
	}
	a := actions[0].(map[string]any)
	if a["Prior"] != json.Number("20") || a["Planned"] != json.Number("30") {
		t.Errorf("action lacks before/after values: %v", a)
	}
}
