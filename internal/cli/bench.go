package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/devserver"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// benchRunbook is the runbook intake matches during the benchmark. Only
// intake runs (no worker), so its content only has to parse.
const benchRunbook = `runbook "bench" {
  match    = ["alertname=\"BenchAlert\""]
  group_by = ["service"]
  diagnose "errors" {
    prometheus { query = "sum(rate(http_requests_total{service=\"${alert.labels.service}\"}[1m]))" }
  }
}
`

// benchCommand is `firebreak bench`: webhook intake latency against the
// raw Temporal call it wraps (SignalWithStart), on the same embedded server
// in the same run, so the figure that matters is the ratio, not the
// machine. Traffic goes to loopback only and is bounded by -n.
func benchCommand() command {
	return command{
		synopsis: "measure intake latency against raw SignalWithStart on an embedded server",
		description: "Start an embedded Temporal server and a receiver in a temporary directory, " +
			"then measure webhook intake latency (each request a new incident, and repeats of " +
			"a firing alert) against the raw SignalWithStart call it wraps, on the same server in " +
			"the same run, so that the ratio, not the machine, is the figure. Traffic goes to " +
			"127.0.0.1 only and is bounded by -n.",
		flags: func(fs *flag.FlagSet) action {
			n := fs.Int("n", 300, "requests per measurement (each a new incident)")
			conc := fs.Int("concurrency", 4, "requests in flight at once")
			repeats := fs.Bool("repeats", true, "also measure repeats of a firing alert (signals to live incidents)")
			return func(ctx context.Context, _ []string, stdio IO) int { return runBench(ctx, *n, *conc, *repeats, stdio) }
		},
	}
}

// runBench runs `firebreak bench`.
func runBench(ctx context.Context, n, conc int, repeats bool, stdio IO) int {
	if n < 1 || n > 100000 || conc < 1 || conc > 256 {
		fmt.Fprintln(stdio.Err, "firebreak bench: -n must be 1..100000 and -concurrency 1..256")
		return ExitError
	}
	dir, err := os.MkdirTemp("", "firebreak-bench-")
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak bench: %v\n", err)
		return ExitError
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := devserver.Start(ctx, devserver.Options{StateDir: filepath.Join(dir, "temporal"), UIPort: -1, Logger: quiet})
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak bench: start temporal: %v\n", err)
		return ExitError
	}
	defer srv.Stop()
	rb, diags := runbooks.Parse("bench.hcl", []byte(benchRunbook))
	if diags.HasErrors() {
		fmt.Fprintf(stdio.Err, "firebreak bench: %s\n", diags.Error())
		return ExitError
	}
	eng, err := engine.Start(ctx, engine.Options{
		Role: engine.RoleReceiver, TemporalAddress: srv.FrontendAddr(), Namespace: srv.Namespace(),
		TaskQueue: "firebreak-bench", Listen: "127.0.0.1:0", Runbooks: &runbooks.Set{Runbooks: []*runbooks.Runbook{rb}}, Log: quiet,
	})
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak bench: %v\n", err)
		return ExitError
	}
	defer eng.Stop()
	c := eng.Client()
	url := "http://" + eng.Addr() + "/webhook/alertmanager"
	hc := &http.Client{Timeout: 30 * time.Second}

	fmt.Fprintf(stdio.Out, "firebreak bench: n=%d concurrency=%d, embedded Temporal (SQLite WAL) at %s\n\n", n, conc, srv.FrontendAddr())
	fmt.Fprintf(stdio.Out, "%-40s %10s %10s %10s %10s\n", "measurement", "p50", "p90", "p99", "req/s")

	// Warm up both paths so connection setup is not measured.
	_, _ = measure(ctx, 20, conc, func(i int) error { return rawStart(ctx, c, fmt.Sprintf("warm-raw-%d", i)) })
	_, _ = measure(ctx, 20, conc, func(i int) error { return postAlert(hc, url, fmt.Sprintf("warm-%d", i), "firing") })

	// Interleaved, request by request, so both paths see the same database
	// size, cache state and machine load.
	raw, in, err := measurePair(ctx, n, conc,
		func(i int) error { return rawStart(ctx, c, fmt.Sprintf("raw-%d", i)) },
		func(i int) error { return postAlert(hc, url, fmt.Sprintf("svc-%d", i), "firing") })
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak bench: %v\n", err)
		return ExitError
	}
	report(stdio.Out, "raw SignalWithStart (new workflow)", raw)
	report(stdio.Out, "webhook → new incident", in)
	if repeats {
		rep, err := measure(ctx, n, conc, func(i int) error { return postAlert(hc, url, fmt.Sprintf("svc-%d", i), "firing") })
		if err != nil {
			fmt.Fprintf(stdio.Err, "firebreak bench: webhook repeats: %v\n", err)
			return ExitError
		}
		report(stdio.Out, "webhook → repeat (signal live incident)", rep)
	}
	fmt.Fprintf(stdio.Out, "\noverhead of intake over raw SignalWithStart: p50 %+.2f ms, p99 %+.2f ms\n",
		ms(in.p(50))-ms(raw.p(50)), ms(in.p(99))-ms(raw.p(99)))
	return ExitOK
}

type samples struct {
	d       []time.Duration
	elapsed time.Duration
}

func (s samples) p(q float64) time.Duration {
	if len(s.d) == 0 {
		return 0
	}
	i := int(float64(len(s.d)-1) * q / 100)
	return s.d[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func report(w io.Writer, name string, s samples) {
	fmt.Fprintf(w, "%-40s %8.2fms %8.2fms %8.2fms %10.1f\n", name, ms(s.p(50)), ms(s.p(90)), ms(s.p(99)), float64(len(s.d))/s.elapsed.Seconds())
}

// measure runs f n times with conc in flight and returns the sorted latencies.
func measure(ctx context.Context, n, conc int, f func(i int) error) (samples, error) {
	var (
		mu    sync.Mutex
		out   = make([]time.Duration, 0, n)
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				err := f(i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				out = append(out, d)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	if first == nil {
		first = ctx.Err()
	}
	return samples{d: out, elapsed: time.Since(start)}, first
}

// measurePair runs a(i) then b(i) for each i, conc at a time, and returns
// both sets of latencies, sorted.
func measurePair(ctx context.Context, n, conc int, a, b func(i int) error) (samples, samples, error) {
	var (
		mu     sync.Mutex
		sa, sb samples
		first  error
	)
	all, err := measure(ctx, n, conc, func(i int) error {
		t0 := time.Now()
		errA := a(i)
		t1 := time.Now()
		errB := b(i)
		t2 := time.Now()
		mu.Lock()
		defer mu.Unlock()
		sa.d = append(sa.d, t1.Sub(t0))
		sb.d = append(sb.d, t2.Sub(t1))
		if first == nil {
			if errA != nil {
				first = fmt.Errorf("raw: %w", errA)
			} else if errB != nil {
				first = fmt.Errorf("webhook: %w", errB)
			}
		}
		return nil
	})
	if err != nil {
		return sa, sb, err
	}
	sort.Slice(sa.d, func(i, j int) bool { return sa.d[i] < sa.d[j] })
	sort.Slice(sb.d, func(i, j int) bool { return sb.d[i] < sb.d[j] })
	// Each path's throughput: its share of the wall time, by its latency sum.
	var ta, tb time.Duration
	for _, d := range sa.d {
		ta += d
	}
	for _, d := range sb.d {
		tb += d
	}
	if ta+tb > 0 {
		sa.elapsed = time.Duration(float64(all.elapsed) * float64(ta) / float64(ta+tb))
		sb.elapsed = time.Duration(float64(all.elapsed) * float64(tb) / float64(ta+tb))
	}
	return sa, sb, first
}

// rawStart is the baseline: the same durable write intake makes, with a
// payload of the same shape, straight through the SDK.
func rawStart(ctx context.Context, c client.Client, id string) error {
	alert := incident.Alert{Status: "firing", Labels: map[string]string{"alertname": "BenchAlert", "service": id}, StartsAt: time.Now()}
	in := workflows.Input{IncidentID: id, Runbook: workflows.PinnedRunbook{Name: "bench", Filename: "bench.hcl", Source: []byte(benchRunbook)}, Alert: alert}
	_, err := c.SignalWithStartWorkflow(ctx, "raw/"+id, workflows.SignalAlert, alert, client.StartWorkflowOptions{
		ID: "raw/" + id, TaskQueue: "firebreak-bench", WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.IncidentWorkflowName, in)
	return err
}

func postAlert(hc *http.Client, url, service, status string) error {
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": status, "receiver": "firebreak", "groupKey": "{}:{service=\"" + service + "\"}",
		"alerts": []map[string]any{{
			"status": status, "labels": map[string]string{"alertname": "BenchAlert", "service": service},
			"annotations": map[string]string{"summary": "bench"}, "startsAt": time.Now().UTC().Format(time.RFC3339Nano),
			"fingerprint": service,
		}},
	})
	resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}
