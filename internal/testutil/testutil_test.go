package testutil

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// refused reports whether nothing listens on 127.0.0.1:port any more, which
// is how the tests observe that a server was stopped by its cleanup.
func refused(port int) func() (bool, error) {
	return func() (bool, error) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err != nil {
			return true, nil
		}
		c.Close()
		return false, fmt.Errorf("port %d still accepts connections", port)
	}
}

func TestFreePort(t *testing.T) {
	port := FreePort(t)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("listen on free port %d: %v", port, err)
	}
	l.Close()
}

// recordingTB captures Fatalf instead of ending the test, to check
// PollUntil's failure message.
type recordingTB struct {
	testing.TB
	fatal string
}

func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recordingTB) Helper()                           {}

func TestPollUntil(t *testing.T) {
	tests := []struct {
		name      string
		cond      func(calls int) (bool, error)
		wantFatal string
	}{
		{name: "immediately", cond: func(int) (bool, error) { return true, nil }},
		{name: "after a few calls", cond: func(n int) (bool, error) { return n >= 3, fmt.Errorf("call %d", n) }},
		{name: "timeout names what and last error", cond: func(n int) (bool, error) { return false, fmt.Errorf("boom %d", min(n, 1)) }, wantFatal: "waiting for the thing: timed out after 200ms: last error: boom 1"},
		{name: "timeout without error", cond: func(int) (bool, error) { return false, nil }, wantFatal: "condition never became true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			calls := 0
			PollUntil(rec, 200*time.Millisecond, "the thing", func() (bool, error) {
				calls++
				return tt.cond(calls)
			})
			if tt.wantFatal == "" && rec.fatal != "" {
				t.Fatalf("unexpected failure: %s", rec.fatal)
			}
			if tt.wantFatal != "" && !strings.Contains(rec.fatal, tt.wantFatal) {
				t.Fatalf("failure = %q, want it to contain %q", rec.fatal, tt.wantFatal)
			}
		})
	}
}

func TestPostgresAndPgBouncer(t *testing.T) {
	var port int
	t.Run("server", func(t *testing.T) {
		start := time.Now()
		pg := StartPostgres(t)
		t.Logf("postgres ready in %s", time.Since(start).Round(time.Millisecond))
		port = pg.Port
		pg.CreateDatabase(t, "harness")
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pg.DSN("harness"))
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer conn.Close(ctx)
		var db string
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil || db != "harness" {
			t.Fatalf("current_database() = %q, %v; want harness", db, err)
		}

		tests := []struct {
			name           string
			opts           PgBouncerOptions
			wantDefault    string
			wantDBPoolSize string
		}{
			{name: "default pool", opts: PgBouncerOptions{Database: "harness", PoolSize: 7}, wantDefault: "7", wantDBPoolSize: "7"},
			{name: "own pool_size", opts: PgBouncerOptions{Database: "own", PoolSize: 7, DatabasePoolSize: 3}, wantDefault: "7", wantDBPoolSize: "3"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				start := time.Now()
				b := StartPgBouncer(t, pg, tt.opts)
				t.Logf("pgbouncer ready in %s", time.Since(start).Round(time.Millisecond))
				admin, err := pgx.Connect(ctx, b.AdminDSN())
				if err != nil {
					t.Fatalf("admin connect: %v", err)
				}
				defer admin.Close(ctx)
				if got := showValue(t, admin, "SHOW CONFIG", "key", "default_pool_size", "value"); got != tt.wantDefault {
					t.Errorf("default_pool_size = %q, want %q", got, tt.wantDefault)
				}
				if got := showValue(t, admin, "SHOW DATABASES", "name", tt.opts.Database, "pool_size"); got != tt.wantDBPoolSize {
					t.Errorf("pool_size of %s = %q, want %q", tt.opts.Database, got, tt.wantDBPoolSize)
				}
				app, err := pgx.Connect(ctx, b.AppDSN())
				if err != nil {
					t.Fatalf("app connect: %v", err)
				}
				defer app.Close(ctx)
				var one int
				if err := app.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Fatalf("SELECT 1 through pgbouncer = %d, %v", one, err)
				}
			})
		}
	})
	PollUntil(t, 5*time.Second, "postgres to stop after its test", refused(port))
}

// showValue runs an admin-console SHOW and returns column want of the row
// whose column key equals keyValue, finding columns by name.
func showValue(t *testing.T, conn *pgx.Conn, query, key, keyValue, want string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols := map[string]int{}
	for i, f := range rows.FieldDescriptions() {
		cols[f.Name] = i
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if fmt.Sprint(vals[cols[key]]) == keyValue {
			return fmt.Sprint(vals[cols[want]])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	t.Fatalf("%s: no row with %s = %s", query, key, keyValue)
	return ""
}

// webhookBody is the part of Alertmanager's webhook payload the test reads.
type webhookBody struct {
	Status string `json:"status"`
	Alerts []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

func TestPrometheusRuleReachesWebhook(t *testing.T) {
	var up atomic.Int64
	up.Store(1)
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE harness_broken gauge\nharness_broken %d\n", up.Load())
	}))
	defer exporter.Close()

	const token = "harness-token"
	var (
		mu       sync.Mutex
		received []webhookBody
		badAuth  []string
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if got := r.Header.Get("Authorization"); got != "Bearer "+token {
			badAuth = append(badAuth, got)
		}
		var body webhookBody
		if err := json.Unmarshal(b, &body); err == nil {
			received = append(received, body)
		}
	}))
	defer hook.Close()

	var amPort, promPort int
	t.Run("servers", func(t *testing.T) {
		start := time.Now()
		am := StartAlertmanager(t, AlertmanagerOptions{WebhookURL: hook.URL, BearerToken: token})
		t.Logf("alertmanager ready in %s", time.Since(start).Round(time.Millisecond))
		amPort = am.Port
		start = time.Now()
		prom := StartPrometheus(t, PrometheusOptions{
			ScrapeTargets: []string{strings.TrimPrefix(exporter.URL, "http://")},
			RuleFiles: map[string]string{"harness.yml": `groups:
- name: harness
  rules:
  - alert: HarnessBroken
    expr: harness_broken == 1
    labels:
      service: harness
`},
			AlertmanagerURL: am.URL,
		})
		t.Logf("prometheus ready in %s", time.Since(start).Round(time.Millisecond))
		promPort = prom.Port

		status := func(want string) func() (bool, error) {
			return func() (bool, error) {
				mu.Lock()
				defer mu.Unlock()
				for _, b := range received {
					for _, a := range b.Alerts {
						if a.Labels["alertname"] == "HarnessBroken" && a.Labels["service"] == "harness" && a.Status == want {
							return true, nil
						}
					}
				}
				return false, fmt.Errorf("%d notifications, none %s", len(received), want)
			}
		}
		start = time.Now()
		PollUntil(t, 20*time.Second, "a firing notification at the webhook", status("firing"))
		t.Logf("firing notification after %s", time.Since(start).Round(time.Millisecond))
		up.Store(0)
		start = time.Now()
		PollUntil(t, 20*time.Second, "a resolved notification at the webhook", status("resolved"))
		t.Logf("resolved notification after %s", time.Since(start).Round(time.Millisecond))
		mu.Lock()
		defer mu.Unlock()
		if len(badAuth) > 0 {
			t.Errorf("webhook saw Authorization headers %q, want %q", badAuth, "Bearer "+token)
		}
	})
	PollUntil(t, 5*time.Second, "prometheus to stop after its test", refused(promPort))
	PollUntil(t, 5*time.Second, "alertmanager to stop after its test", refused(amPort))
}
