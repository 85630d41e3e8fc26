package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/jackc/pgx/v5"
)

// startDemo serves a demo Server against dsn on a free loopback port and
// returns its base URL; the server stops when the test ends.
func startDemo(t *testing.T, dsn string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv, err := New(Config{DSN: dsn, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		srv.Close()
	})
	return "http://" + ln.Addr().String()
}

// TestPoolExhaustionAndRecovery is the scenario in miniature, on real
// PostgreSQL and PgBouncer: with PgBouncer's pool at 2, 40 workers mostly
// fail with connection timeouts; after the admin console raises
// default_pool_size to 20 (what firebreak's runbook does), they succeed.
func TestPoolExhaustionAndRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and PgBouncer")
	}
	pg := testutil.StartPostgres(t)
	bouncer := testutil.StartPgBouncer(t, pg, testutil.PgBouncerOptions{Database: "demo", PoolSize: 2})
	base := startDemo(t, bouncer.AppDSN())
	ctx := context.Background()

	// Let the server come up and the pools warm before judging error ratios.
	testutil.PollUntil(t, 15*time.Second, "a successful payment", func() (bool, error) {
		resp, err := http.Get(base + "/pay")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Errorf("status %d", resp.StatusCode)
	})

	exhausted, err := Load(ctx, base+"/pay", 40, 3*time.Second)
	if err != nil {
		t.Fatalf("load with pool 2: %v", err)
	}
	t.Logf("pool 2: %s", exhausted)
	if exhausted.Requests < 200 || exhausted.ErrorRatio() < 0.5 {
		t.Fatalf("pool 2: want >= 200 requests with error ratio >= 0.5, got %s", exhausted)
	}
	if exhausted.ByCode[http.StatusServiceUnavailable] == 0 {
		t.Fatalf("pool 2: want 503 connection timeouts, got %v", exhausted.ByCode)
	}
	metrics := scrape(t, base)
	for _, want := range []string{
		`demo_request_errors_total{reason="connection_timeout",service="demo"}`,
		`demo_requests_total{code="503",service="demo"}`,
		`demo_db_acquire_wait_seconds_bucket{service="demo",le="0.1"}`,
		`demo_db_inflight{service="demo"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if v := metricValue(t, metrics, `demo_request_errors_total{reason="connection_timeout",service="demo"}`); v <= 0 {
		t.Errorf("connection_timeout errors = %v, want > 0", v)
	}

	admin, err := pgx.Connect(ctx, bouncer.AdminDSN())
	if err != nil {
		t.Fatalf("connect to admin console: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SET default_pool_size = 20"); err != nil {
		t.Fatalf("set default_pool_size: %v", err)
	}

	// PgBouncer opens the extra server connections on demand, so the first
	// second may still fail; poll short bounded runs until one is clean.
	var last LoadStats
	testutil.PollUntil(t, 30*time.Second, "error ratio below 0.02 with pool 20", func() (bool, error) {
		last, err = Load(ctx, base+"/pay", 40, time.Second)
		if err != nil {
			return false, err
		}
		return last.Requests >= 100 && last.ErrorRatio() < 0.02, fmt.Errorf("last run: %s", last)
	})
	t.Logf("pool 20: %s", last)
}

// scrape returns the server's /metrics text.
func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape: read: %v", err)
	}
	return string(b)
}

// metricValue returns the value of the exposition line starting with series.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err != nil {
				t.Fatalf("parse %q: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("series %s not exposed", series)
	return 0
}

func TestLoadRefusesNonLoopback(t *testing.T) {
	tests := []struct {
		name, url   string
		concurrency int
		duration    time.Duration
		wantErr     string
	}{
		{"remote ip", "http://10.0.0.1:18080/pay", 1, time.Second, "only targets loopback"},
		{"remote name", "http://example.com/pay", 1, time.Second, "only targets loopback"},
		{"unspecified", "http://0.0.0.0:18080/pay", 1, time.Second, "only targets loopback"},
		{"https", "https://127.0.0.1/pay", 1, time.Second, "want http"},
		{"no concurrency", "http://127.0.0.1:1/pay", 0, time.Second, "concurrency 0"},
		{"too much concurrency", "http://127.0.0.1:1/pay", MaxConcurrency + 1, time.Second, "concurrency"},
		{"no duration", "http://127.0.0.1:1/pay", 1, 0, "duration"},
		{"too long", "http://127.0.0.1:1/pay", 1, MaxDuration + time.Second, "duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats, err := Load(context.Background(), tt.url, tt.concurrency, tt.duration)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load(%q, %d, %s) error = %v, want it to contain %q", tt.url, tt.concurrency, tt.duration, err, tt.wantErr)
			}
			if stats.Requests != 0 {
				t.Fatalf("refused run sent %d requests", stats.Requests)
			}
		})
	}
}

// TestLoadIsBounded checks the pacing bound on a trivial loopback server:
// each worker starts at most one request per WorkerInterval.
func TestLoadIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	const workers, dur = 4, 500 * time.Millisecond
	maxRequests := workers * int(dur/WorkerInterval)
	stats, err := Load(context.Background(), "http://"+ln.Addr().String()+"/ok", workers, dur)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if stats.Requests == 0 || stats.Requests > maxRequests || stats.OK != stats.Requests || stats.ErrorRatio() != 0 {
		t.Fatalf("want 1..%d requests all ok, got %s", maxRequests, stats)
	}
	stats, err = Load(context.Background(), "http://"+ln.Addr().String()+"/fail", 1, 250*time.Millisecond)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if stats.ErrorRatio() != 1 || stats.ByCode[http.StatusServiceUnavailable] != stats.Requests {
		t.Fatalf("want every request to fail with 503, got %s", stats)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "dsn is required") {
		t.Fatalf("New without dsn: error = %v", err)
	}
	if _, err := New(Config{DSN: "postgres://u:secretpw@127.0.0.1:1/x", Timeout: -time.Second}); err == nil {
		t.Fatal("New with a negative timeout succeeded")
	}
	if _, err := New(Config{DSN: "postgres://u:secretpw@127.0.0.1:1/x?pool_max_conns=nope"}); err == nil || strings.Contains(err.Error(), "secretpw") {
		t.Fatalf("New with a bad dsn: error = %v, want an error without the password", err)
	}
}

// TestPayWithoutDatabase checks the error path without PostgreSQL: nothing
// listens on the DSN's port, so payments fail as database errors (500), are
// counted by reason, and the service label is on every series.
func TestPayWithoutDatabase(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	deadAddr := ln.Addr().String()
	ln.Close() // a port that refuses connections

	srv, err := New(Config{
		DSN:     "postgres://u:pw@" + deadAddr + "/demo?sslmode=disable",
		Service: "checkout",
		Timeout: 2 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/pay", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "database error") {
		t.Fatalf("GET /pay = %d %q, want 500 database error", rec.Code, rec.Body.String())
	}

	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	text := rec.Body.String()
	for series, want := range map[string]float64{
		`demo_requests_total{code="500",service="checkout"}`:                        1,
		`demo_requests_total{code="200",service="checkout"}`:                        0,
		`demo_request_errors_total{reason="db_error",service="checkout"}`:           1,
		`demo_request_errors_total{reason="connection_timeout",service="checkout"}`: 0,
		`demo_db_inflight{service="checkout"}`:                                      0,
		`demo_db_waiting{service="checkout"}`:                                       0,
	} {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}
