package pagerduty

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
)

func newClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := New(Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: url, Timeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return c
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
	c := newClient(t, srv.URL)
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
	c := newClient(t, srv.URL)
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

// TestOneAttemptPerEvent: the client never retries (Temporal does, above
// it); a refusal says whether PagerDuty asks clients to retry it and how
// long it asked them to wait.
func TestOneAttemptPerEvent(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter time.Duration
		wantWait   time.Duration
		wantFinal  bool
	}{
		{name: "503 may pass later", status: http.StatusServiceUnavailable},
		{name: "500 may pass later", status: http.StatusInternalServerError},
		{name: "429 carries Retry-After", status: http.StatusTooManyRequests, retryAfter: 7 * time.Second, wantWait: 7 * time.Second},
		{name: "429 without Retry-After", status: http.StatusTooManyRequests},
		{name: "400 is final", status: http.StatusBadRequest, wantFinal: true},
		{name: "401 bad key is final", status: http.StatusUnauthorized, wantFinal: true},
		{name: "403 is final", status: http.StatusForbidden, wantFinal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := pdserver.Start(t)
			srv.FailNext(10, tt.status)
			srv.SetRetryAfter(tt.retryAfter)
			c := newClient(t, srv.URL)
			err := c.Trigger(context.Background(), escalation())
			if n := len(srv.Events()); n != 1 {
				t.Errorf("%d requests, want exactly 1", n)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tt.status {
				t.Fatalf("err = %v, want a StatusError %d", err, tt.status)
			}
			if strings.Contains(err.Error(), pdserver.TestRoutingKey) {
				t.Errorf("error leaks the routing key: %v", err)
			}
			if wait, ok := se.RetryAfter(); wait != tt.wantWait || ok != (tt.wantWait > 0) {
				t.Errorf("RetryAfter = %s, %t; want %s", wait, ok, tt.wantWait)
			}
			if se.Permanent() != tt.wantFinal {
				t.Errorf("Permanent = %t, want %t", se.Permanent(), tt.wantFinal)
			}
			if n := len(srv.Incidents()); n != 0 {
				t.Errorf("%d incidents, want none", n)
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
	if !errors.As(err, &se) || se.Code != http.StatusBadRequest || !se.Permanent() || !strings.Contains(err.Error(), "routing_key") {
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
