package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/integrations/pgbouncer"
	"github.com/firebreak-dev/firebreak/integrations/prometheus"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/intake"
	"github.com/firebreak-dev/firebreak/internal/secrets"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/workflows"
)

const benchRunbook = `runbook "bench-pool" {
  match    = ["alertname=\"BenchPool\""]
  group_by = ["service"]
  diagnose "timeouts" {
    prometheus { query = "sum(bench_connection_timeouts{service=\"bench\"})" }
  }
  remediate "grow_pool" {
    when = diagnosis.timeouts.value > 0
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "+500%"
        max       = 20
      }
    }
  }
  guardrails {
    cooldown    = "0s"
    max_actions = 1000000
  }
}
`

// BenchmarkAlertToFirstAction measures the time from Alertmanager's webhook
// POST to the pool change being visible in PgBouncer's SHOW CONFIG, through
// the whole engine (intake, a new incident workflow, a Prometheus diagnosis,
// the target's permit, the read and the set), on real servers. The baseline
// in the same run is the same work done directly, without durability: one
// Prometheus query and one admin-console read+SET.
//
//	go test -run '^$' -bench AlertToFirstAction -benchtime 20x ./internal/e2e/
func BenchmarkAlertToFirstAction(b *testing.B) {
	pg := testutil.StartPostgres(b)
	bouncer := testutil.StartPgBouncer(b, pg, testutil.PgBouncerOptions{Database: poolDatabase, PoolSize: startPool})
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "# TYPE bench_connection_timeouts gauge")
		fmt.Fprintln(w, `bench_connection_timeouts{service="bench"} 3`)
	}))
	b.Cleanup(exporter.Close)
	prom := testutil.StartPrometheus(b, testutil.PrometheusOptions{ScrapeTargets: []string{exporter.Listener.Addr().String()}})
	pc, err := prometheus.New(prom.URL, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	testutil.PollUntil(b, 30*time.Second, "prometheus scraped the exporter", func() (bool, error) {
		r, err := pc.Instant(context.Background(), `sum(bench_connection_timeouts{service="bench"})`, time.Now())
		return err == nil && len(r.Series) == 1, err
	})

	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bench-pool.hcl"), []byte(benchRunbook), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pgbouncer_admin"), []byte(bouncer.AdminDSN()), 0o600); err != nil {
		b.Fatal(err)
	}
	srv := devservertest.StartForTest(b)
	eng, err := engine.Start(context.Background(), engine.Options{
		TemporalAddress: srv.FrontendAddr(), Namespace: srv.Namespace(), TaskQueue: "bench", Listen: "127.0.0.1:0",
		Runbooks: loadRunbooks(b, filepath.Join(dir, "bench-pool.hcl")), PrometheusURL: prom.URL, PrometheusTimeout: 5 * time.Second,
		Secrets: secrets.Source{Dir: dir}, Settings: workflows.Settings{Linger: time.Minute}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eng.Stop)
	url := "http://" + eng.Addr() + "/webhook/alertmanager"
	admin, err := pgbouncer.Dial(context.Background(), bouncer.AdminDSN())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { admin.Close(context.Background()) })
	poolSize := func() string {
		cfg, err := admin.Config(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return cfg["default_pool_size"]
	}

	var viaEngine, direct []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := admin.SetDefaultPoolSize(context.Background(), startPool); err != nil {
			b.Fatal(err)
		}
		body := alertBody("BenchPool", fmt.Sprintf("bench-%d-%d", b.N, i))
		b.StartTimer()

		t0 := time.Now()
		resp, err := http.Post(url, "application/json", bytes.NewReader(body))
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("webhook: %v %v", err, resp)
		}
		var answer intake.Response
		_ = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		// Polled every 2 ms, not in a busy loop: on two cores a busy loop
		// on PgBouncer's admin console takes CPU from the engine it times.
		deadline := time.Now().Add(30 * time.Second)
		for poolSize() != "12" {
			if time.Now().After(deadline) {
				b.Fatal("pool not changed within 30s")
			}
			time.Sleep(2 * time.Millisecond) // the measurement's resolution
		}
		viaEngine = append(viaEngine, time.Since(t0))
		if os.Getenv("FIREBREAK_BENCH_TRACE") != "" && len(answer.IncidentIDs) == 1 {
			traceHistory(b, eng.Client(), answer.IncidentIDs[0], t0)
		}

		// Baseline: the same query and the same read+SET, no engine.
		b.StopTimer()
		if err := admin.SetDefaultPoolSize(context.Background(), startPool); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t1 := time.Now()
		if _, err := pc.Instant(context.Background(), `sum(bench_connection_timeouts{service="bench"})`, time.Now()); err != nil {
			b.Fatal(err)
		}
		conn, err := pgbouncer.Dial(context.Background(), bouncer.AdminDSN())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Config(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := conn.SetDefaultPoolSize(context.Background(), 12); err != nil {
			b.Fatal(err)
		}
		conn.Close(context.Background())
		direct = append(direct, time.Since(t1))
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		b.ReportMetric(float64(d[len(d)/2])/1e6, name+"-p50-ms")
		b.ReportMetric(float64(d[(len(d)-1)*99/100])/1e6, name+"-p99-ms")
	}
	report("engine", viaEngine)
	report("direct", direct)
}

// alertBody is a one-alert Alertmanager webhook body.
func alertBody(alertname, service string) []byte {
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": "firing", "receiver": "firebreak", "groupKey": "{}:{service=\"" + service + "\"}",
		"alerts": []map[string]any{{
			"status": "firing", "labels": map[string]string{"alertname": alertname, "service": service},
			"startsAt": time.Now().UTC().Format(time.RFC3339Nano), "fingerprint": service,
		}},
	})
	return body
}

// traceHistory logs an incident's history events up to its first action
// with their times from t0, to show where the time to first action goes.
func traceHistory(b *testing.B, c client.Client, id string, t0 time.Time) {
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var lines []string
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			b.Fatal(err)
		}
		what := ev.GetEventType().String()
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			what += " " + a.GetActivityType().GetName()
		}
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			what += " " + a.GetSignalName()
		}
		if a := ev.GetMarkerRecordedEventAttributes(); a != nil {
			what += " " + a.GetMarkerName()
		}
		lines = append(lines, fmt.Sprintf("%4d %7.1f ms  %s", ev.GetEventId(), float64(ev.GetEventTime().AsTime().Sub(t0))/1e6, what))
		if len(lines) > 60 {
			break
		}
	}
	b.Logf("history of %s:\n%s", id, strings.Join(lines, "\n"))
}
