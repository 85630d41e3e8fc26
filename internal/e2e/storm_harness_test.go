package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/intake"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// The storm harness: N alerts in messages of G, M messages in flight,
// delivered straight to the webhook and through a real Alertmanager, with
// the raw SignalWithStart floor measured in the same run on the same server
// at the same concurrency. Lost and duplicate incidents are counted in
// Temporal (its visibility store), not in firebreak's memory. Sizes come
// from the environment so that the 10,000-alert run is one command:
//
//	FIREBREAK_STORM_ALERTS=10000 go test -run '^$' -bench 'Storm$' -benchtime 1x -timeout 60m ./internal/e2e/
//
// FIREBREAK_STORM_ALERTS (default 2000), FIREBREAK_STORM_GROUP (100),
// FIREBREAK_STORM_INFLIGHT (8), FIREBREAK_STORM_VIA ("direct,alertmanager"),
// FIREBREAK_STORM_AM_GROUP_INTERVAL (Alertmanager's group_interval, "1s":
// its notification timeout is then the 10 s minimum, the hardest case).
// Each run is bounded by those numbers and talks to loopback only.

func envInt(tb testing.TB, name string, def, low, high int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < low || n > high {
		tb.Fatalf("%s=%q: want a number from %d to %d", name, v, low, high)
	}
	return n
}

// stormHarness is one run's servers: an embedded Temporal server and a
// receiver-only engine (no worker, so only intake's durable writes are
// measured and the floor's workflows compete with nothing), behind a
// timing proxy that records every webhook answer.
type stormHarness struct {
	tb     testing.TB
	set    *runbooks.Set
	eng    *engine.Engine
	met    *metrics.Metrics
	proxy  *httptest.Server
	hc     *http.Client
	mu     sync.Mutex
	answer map[int]int // webhook answers by status code, as the proxy saw them
	lat    []time.Duration
	sent   map[string]bool // every incident ID any phase expects, for telling strays from other phases' incidents
}

func startStormHarness(tb testing.TB) *stormHarness {
	srv := devservertest.StartForTest(tb)
	h := &stormHarness{tb: tb, set: stormSet(tb), met: metrics.New(), answer: map[int]int{}, sent: map[string]bool{}, hc: &http.Client{Timeout: 5 * time.Minute}}
	eng, err := engine.Start(context.Background(), engine.Options{
		Role: engine.RoleReceiver, TemporalAddress: srv.FrontendAddr(), Namespace: srv.Namespace(),
		TaskQueue: "storm-bench", Listen: "127.0.0.1:0", Runbooks: h.set, Metrics: h.met,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(eng.Stop)
	h.eng = eng
	target, _ := url.Parse("http://" + eng.Addr())
	rp := httputil.NewSingleHostReverseProxy(target)
	h.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		rp.ServeHTTP(rec, r)
		h.mu.Lock()
		h.answer[rec.code]++
		h.lat = append(h.lat, time.Since(t0))
		h.mu.Unlock()
	}))
	tb.Cleanup(h.proxy.Close)
	return h
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

// reset forgets the proxy's records, between phases.
func (h *stormHarness) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answer, h.lat = map[int]int{}, nil
}

func (h *stormHarness) records() (map[int]int, []time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := make(map[int]int, len(h.answer))
	for k, v := range h.answer {
		a[k] = v
	}
	l := append([]time.Duration(nil), h.lat...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return a, l
}

// expectedIDs are the incident IDs intake derives for the services.
func (h *stormHarness) expectedIDs(services []string) map[string]bool {
	rb := h.set.Runbooks[0]
	ids := make(map[string]bool, len(services))
	for _, s := range services {
		labels := map[string]string{"alertname": "StormAlert", "service": s}
		ids[intake.IncidentID(rb.Name, rb.IncidentKey(labels, s))] = true
	}
	for id := range ids {
		h.sent[id] = true
	}
	return ids
}

// countInTemporal checks want against Temporal (see countNow), polling
// until nothing is lost and no more incidents than were sent exist, since
// visibility trails the writes by a little; then it reports what it saw.
func (h *stormHarness) countInTemporal(want map[string]bool, prefix string, within time.Duration) (lost, dup int) {
	testutil.PollUntil(h.tb, within, "every incident is in Temporal, once", func() (bool, error) {
		var err error
		lost, dup, err = h.countNow(want, prefix)
		if err != nil {
			return false, err
		}
		return lost == 0 && dup == 0, fmt.Errorf("%d of %d not in Temporal, %d more incidents than alert groups", lost, len(want), dup)
	})
	return lost, dup
}

// stormMessages builds N alerts as Alertmanager would group them by
// cluster: messages of g alerts, one service (so one incident) per alert.
func stormMessages(prefix string, n, g int) (bodies [][]byte, services []string) {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for start := 0; start < n; start += g {
		cluster := fmt.Sprintf("%s-c%03d", prefix, start/g)
		var alerts []map[string]any
		for i := start; i < min(start+g, n); i++ {
			svc := fmt.Sprintf("%s-%05d", prefix, i)
			services = append(services, svc)
			alerts = append(alerts, map[string]any{
				"status": "firing", "labels": map[string]string{"alertname": "StormAlert", "service": svc, "cluster": cluster},
				"annotations": map[string]string{"summary": "storm"}, "startsAt": now, "fingerprint": svc,
			})
		}
		body, _ := json.Marshal(map[string]any{
			"version": "4", "status": "firing", "receiver": "firebreak", "groupKey": fmt.Sprintf(`{}:{alertname="StormAlert",cluster=%q}`, cluster),
			"groupLabels": map[string]string{"alertname": "StormAlert", "cluster": cluster}, "alerts": alerts,
		})
		bodies = append(bodies, body)
	}
	return bodies, services
}

// sendMessages posts the bodies, inflight at a time, retrying a 503 after
// its Retry-After as Alertmanager would; it returns the wall time.
func (h *stormHarness) sendMessages(bodies [][]byte, inflight int) time.Duration {
	next := make(chan []byte)
	var wg sync.WaitGroup
	errs := make(chan error, len(bodies))
	t0 := time.Now()
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range next {
				if err := h.postUntilAccepted(body); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, b := range bodies {
		next <- b
	}
	close(next)
	wg.Wait()
	d := time.Since(t0)
	close(errs)
	for err := range errs {
		h.tb.Fatal(err)
	}
	return d
}

func (h *stormHarness) postUntilAccepted(body []byte) error {
	return postUntilAccepted(h.hc, h.proxy.URL+"/webhook/alertmanager", body)
}

// postUntilAccepted posts one message, retrying a 503 after its
// Retry-After (at most 20 attempts), as a polite sender would.
func postUntilAccepted(hc *http.Client, url string, body []byte) error {
	for attempt := 1; ; attempt++ {
		resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("post storm message: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode == http.StatusServiceUnavailable && attempt < 20:
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 1)) * time.Second) // the server's own back-off
		default:
			return fmt.Errorf("storm message answered %d after %d attempts", resp.StatusCode, attempt)
		}
	}
}

// rawFloor makes the floor for the same n alerts: intake's SignalWithStart
// straight through the SDK, conc at a time (the durable writes intake can
// have in flight), on a task queue no worker polls.
func (h *stormHarness) rawFloor(prefix string, n, conc int) time.Duration {
	t0 := time.Now()
	if err := rawStorm(h.eng.Client(), h.set.Runbooks[0], prefix, n, conc); err != nil {
		h.tb.Fatal(err)
	}
	return time.Since(t0)
}

func pct(s []time.Duration, q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[int(float64(len(s)-1)*q/100)]
}

// rssMB reads a process's resident set (VmRSS) and its peak (VmHWM) in MiB.
func rssMB(tb testing.TB, pid string) (rss, peak float64) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		tb.Fatalf("read /proc/%s/status: %v", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

// BenchmarkStorm is the storm harness (see the top of this file). Run it
// with -benchtime 1x: each iteration is a whole storm.
func BenchmarkStorm(b *testing.B) {
	n := envInt(b, "FIREBREAK_STORM_ALERTS", 2000, 1, 100000)
	g := envInt(b, "FIREBREAK_STORM_GROUP", 100, 1, 1000)
	inflight := envInt(b, "FIREBREAK_STORM_INFLIGHT", 8, 1, 64)
	via := os.Getenv("FIREBREAK_STORM_VIA")
	if via == "" {
		via = "direct,alertmanager"
	}
	h := startStormHarness(b)
	// The writes intake can have in flight: each message's share, up to
	// the engine's cap. The floor runs at the same concurrency.
	conc := min(inflight*intake.DefaultConcurrency, intake.DefaultMaxInFlight)

	// Warm both paths: connections, the namespace cache, SQLite's pages.
	warm, warmServices := stormMessages("warm", 200, g)
	h.expectedIDs(warmServices)
	h.sendMessages(warm, inflight)
	h.rawFloor("warm-raw", 200, conc)

	for i := 0; i < b.N; i++ {
		for _, path := range strings.Split(via, ",") {
			switch strings.TrimSpace(path) {
			case "direct":
				h.direct(b, fmt.Sprintf("d%d", i), n, g, inflight, conc)
			case "alertmanager":
				h.alertmanager(b, fmt.Sprintf("a%d", i), n, g, conc)
			default:
				b.Fatalf("FIREBREAK_STORM_VIA: unknown path %q (direct, alertmanager)", path)
			}
		}
	}
	rss, peak := rssMB(b, "self")
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(peak, "peak-rss-MB")
	b.Logf("bench process (Temporal server + receiver + harness): RSS %.0f MiB, peak %.0f MiB", rss, peak)
}

// direct sends the storm straight to the webhook, in chunks interleaved
// with the floor's chunks so that both see the same database size and
// load; whichever goes second in a chunk pays for the other's background
// work in Temporal, so the order alternates.
func (h *stormHarness) direct(b *testing.B, prefix string, n, g, inflight, conc int) {
	h.reset()
	bodies, services := stormMessages(prefix, n, g)
	const chunks = 10
	per := max(1, (len(bodies)+chunks-1)/chunks)
	var hook, floor time.Duration
	rawN := 0
	for c, start := 0, 0; start < len(bodies); c, start = c+1, start+per {
		part := bodies[start:min(start+per, len(bodies))]
		alerts := 0
		for i := start; i < start+len(part); i++ {
			alerts += min(g, n-i*g)
		}
		runFloor := func() { floor += h.rawFloor(fmt.Sprintf("%s-raw%02d", prefix, c), alerts, conc); rawN += alerts }
		if c%2 == 1 {
			runFloor()
		}
		hook += h.sendMessages(part, inflight)
		if c%2 == 0 {
			runFloor()
		}
	}
	answers, lat := h.records()
	lost, dup := h.countInTemporal(h.expectedIDs(services), "storm/", 2*time.Minute)
	hookRate, floorRate := float64(n)/hook.Seconds(), float64(rawN)/floor.Seconds()
	b.ReportMetric(hookRate, "direct-alerts/s")
	b.ReportMetric(floorRate, "floor-alerts/s")
	b.ReportMetric(hookRate/floorRate, "direct-x-floor")
	b.ReportMetric(float64(pct(lat, 50))/1e6, "direct-msg-p50-ms")
	b.ReportMetric(float64(pct(lat, 99))/1e6, "direct-msg-p99-ms")
	b.ReportMetric(float64(lost), "direct-lost")
	b.ReportMetric(float64(dup), "direct-dup")
	b.Logf("direct: %d alerts in %d messages of %d, %d in flight: %s (%.0f alerts/s); floor %d writes at %d in flight: %s (%.0f/s); %.2f× the floor; message p50 %s p90 %s p99 %s max %s; answers %v; in Temporal: %d lost, %d duplicate",
		n, len(bodies), g, inflight, hook.Round(time.Millisecond), hookRate, rawN, conc, floor.Round(time.Millisecond), floorRate, hookRate/floorRate,
		pct(lat, 50).Round(time.Millisecond), pct(lat, 90).Round(time.Millisecond), pct(lat, 99).Round(time.Millisecond), pct(lat, 100).Round(time.Millisecond), answers, lost, dup)
	if lost > 0 || dup > 0 {
		b.Errorf("direct: %d lost, %d duplicate incidents in Temporal", lost, dup)
	}
}

// alertmanager posts the storm to a real Alertmanager, grouped by
// cluster (g alerts a group), which delivers it to the webhook on its own
// schedule, retrying what is refused. Throughput is the N alerts over the
// time from the first post to Alertmanager until Temporal holds every
// incident; the floor is measured right after, at the same concurrency.
func (h *stormHarness) alertmanager(b *testing.B, prefix string, n, g, conc int) {
	h.reset()
	interval := os.Getenv("FIREBREAK_STORM_AM_GROUP_INTERVAL")
	if interval == "" {
		interval = "1s"
	}
	am := testutil.StartAlertmanager(b, testutil.AlertmanagerOptions{
		WebhookURL: h.proxy.URL + "/webhook/alertmanager", GroupBy: []string{"alertname", "cluster"}, GroupInterval: interval,
	})
	_, services := stormMessages(prefix, n, g)
	want := h.expectedIDs(services)
	t0 := time.Now()
	for start := 0; start < n; start += g {
		cluster := fmt.Sprintf("%s-c%03d", prefix, start/g)
		var alerts []map[string]any
		for i := start; i < min(start+g, n); i++ {
			alerts = append(alerts, map[string]any{
				"labels":      map[string]string{"alertname": "StormAlert", "service": services[i], "cluster": cluster},
				"annotations": map[string]string{"summary": "storm"}, "startsAt": t0.UTC().Format(time.RFC3339Nano),
				"endsAt": t0.Add(time.Hour).UTC().Format(time.RFC3339Nano),
			})
		}
		body, _ := json.Marshal(alerts)
		resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("alertmanager refused the alerts: %d", resp.StatusCode)
		}
	}
	// Every incident in Temporal: polled through visibility.
	lost, dup := h.countInTemporal(want, "storm/", 30*time.Minute)
	took := time.Since(t0)
	answers, lat := h.records()
	floor := h.rawFloor(prefix+"-raw", n, conc)
	rate, floorRate := float64(n)/took.Seconds(), float64(n)/floor.Seconds()
	b.ReportMetric(rate, "am-alerts/s")
	b.ReportMetric(floorRate, "am-floor-alerts/s")
	b.ReportMetric(rate/floorRate, "am-x-floor")
	b.ReportMetric(float64(pct(lat, 50))/1e6, "am-msg-p50-ms")
	b.ReportMetric(float64(pct(lat, 99))/1e6, "am-msg-p99-ms")
	b.ReportMetric(float64(dup), "am-dup")
	b.Logf("alertmanager (group_interval %s): %d alerts in groups of %d: every incident in Temporal after %s (%.0f alerts/s); floor %d writes at %d in flight: %s (%.0f/s); %.2f× the floor; %d webhook messages, p50 %s p90 %s p99 %s max %s; answers %v; in Temporal: %d lost, %d duplicate",
		interval, n, g, took.Round(time.Millisecond), rate, n, conc, floor.Round(time.Millisecond), floorRate, rate/floorRate, len(lat),
		pct(lat, 50).Round(time.Millisecond), pct(lat, 90).Round(time.Millisecond), pct(lat, 99).Round(time.Millisecond), pct(lat, 100).Round(time.Millisecond), answers, lost, dup)
	if dup > 0 {
		b.Errorf("alertmanager: %d duplicate incidents in Temporal", dup)
	}
}

// countNow is one look at Temporal. lost counts the IDs of want that
// Temporal does not know (DescribeWorkflowExecution reads the execution
// itself, not visibility); dup counts incident workflows under prefix
// beyond one per alert group any phase sent (visibility's count: a second
// run for one group, or a workflow for no group, makes it larger).
func (h *stormHarness) countNow(want map[string]bool, prefix string) (lost, dup int, err error) {
	c := h.eng.Client()
	ids := make(chan string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := c.DescribeWorkflowExecution(ctx, id, "")
				cancel()
				var nf *serviceerror.NotFound
				mu.Lock()
				switch {
				case errors.As(err, &nf):
					lost++
				case err != nil && firstErr == nil:
					firstErr = fmt.Errorf("describe %s: %w", id, err)
				}
				mu.Unlock()
			}
		}()
	}
	for id := range want {
		ids <- id
	}
	close(ids)
	wg.Wait()
	if firstErr != nil {
		return lost, 0, firstErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowType = '%s' AND WorkflowId STARTS_WITH '%s'", workflows.IncidentWorkflowName, prefix),
	})
	if err != nil {
		return lost, 0, fmt.Errorf("count incident workflows: %w", err)
	}
	return lost, max(0, int(resp.GetCount())-len(h.sent)), nil
}

// BenchmarkStormMemory measures memory with many incidents open: N
// incidents (FIREBREAK_STORM_ALERTS, default 1000) are opened through the
// webhook of a real `firebreak dev` process (embedded Temporal server,
// receiver and worker in one process, default settings but for the worker
// block from FIREBREAK_STORM_WORKER_HCL), every one is run by the worker to
// its outcome (no Prometheus is configured, so each escalates, or is
// grouped by storm mode) and stays open, lingering for its alert to
// resolve; then the process's RSS is read. A second process, `firebreak
// serve --role worker` against the same server, is not needed: the worker's
// own share is measured by BenchmarkStormMemory/worker.
//
//	FIREBREAK_STORM_ALERTS=10000 go test -run '^$' -bench StormMemory -benchtime 1x -timeout 60m ./internal/e2e/
func BenchmarkStormMemory(b *testing.B) {
	n := envInt(b, "FIREBREAK_STORM_ALERTS", 1000, 1, 100000)
	// The worker block's body, attributes separated by ';', e.g.
	// "sticky_cache_size = 10000; max_concurrent_activities = 1000".
	workerHCL := strings.ReplaceAll(os.Getenv("FIREBREAK_STORM_WORKER_HCL"), ";", "\n ")
	bin, err := buildFirebreak()
	if err != nil {
		b.Fatal(err)
	}
	rbDir := b.TempDir()
	if err := os.WriteFile(filepath.Join(rbDir, "storm.hcl"), []byte(stormRunbook), 0o600); err != nil {
		b.Fatal(err)
	}
	cfgSrc := ""
	if workerHCL != "" {
		cfgSrc = "worker {\n  " + workerHCL + "\n}\n"
	}

	b.Run("dev", func(b *testing.B) {
		cfg := filepath.Join(b.TempDir(), "firebreak.hcl")
		if err := os.WriteFile(cfg, []byte(cfgSrc), 0o600); err != nil {
			b.Fatal(err)
		}
		listen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(b))
		p := startChild(b, bin, "dev", "--state", b.TempDir(), "--temporal-port", fmt.Sprint(testutil.FreePort(b)), "--ui-port", "-1",
			"--listen", listen, "--runbooks", rbDir, "--config", cfg, "--log-level", "warn")
		openAndMeasure(b, p, listen, listen, n)
	})
	b.Run("worker", func(b *testing.B) {
		srv := devservertest.StartForTest(b)
		cfg := filepath.Join(b.TempDir(), "firebreak.hcl")
		workerListen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(b))
		src := fmt.Sprintf("temporal {\n  address = %q\n  namespace = %q\n  task_queue = \"storm-memory\"\n}\nserver {\n  listen = %q\n}\n%s",
			srv.FrontendAddr(), srv.Namespace(), workerListen, cfgSrc)
		if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
			b.Fatal(err)
		}
		p := startChild(b, bin, "serve", "--role", "worker", "--config", cfg, "--log-level", "warn")
		// The receiver runs in this process, with the same defaults as
		// firebreak dev's (linger 1h, storm mode on).
		d := configDefaults()
		eng, err := engine.Start(context.Background(), engine.Options{
			Role: engine.RoleReceiver, TemporalAddress: srv.FrontendAddr(), Namespace: srv.Namespace(),
			TaskQueue: "storm-memory", Listen: "127.0.0.1:0", Runbooks: stormSet(b), Settings: d,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(eng.Stop)
		openAndMeasure(b, p, eng.Addr(), workerListen, n)
	})
}

// childProcess is a firebreak child process, killed with its group when
// the benchmark ends.
type childProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startChild(tb testing.TB, bin string, args ...string) *childProcess {
	tb.Helper()
	logf, err := os.CreateTemp(tb.TempDir(), "firebreak-*.log")
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &childProcess{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		if tb.Failed() {
			out, _ := os.ReadFile(logf.Name())
			tb.Logf("%s output:\n%s", args[0], out)
		}
	})
	return p
}

// openAndMeasure opens n incidents through the webhook at hookAddr, waits
// until the process p (whose /metrics is at metricsAddr) has brought every
// one to an outcome, and reports p's RSS.
func openAndMeasure(b *testing.B, p *childProcess, hookAddr, metricsAddr string, n int) {
	testutil.PollUntil(b, 2*time.Minute, "firebreak answers /healthz", func() (bool, error) {
		for _, a := range []string{hookAddr, metricsAddr} {
			resp, err := http.Get("http://" + a + "/healthz")
			if err != nil {
				return false, err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false, fmt.Errorf("%s answered %d", a, resp.StatusCode)
			}
		}
		return true, nil
	})
	pid := strconv.Itoa(p.cmd.Process.Pid)
	idle, _ := rssMB(b, pid)
	bodies, _ := stormMessages("mem", n, 100)
	hc := &http.Client{Timeout: 5 * time.Minute}
	t0 := time.Now()
	for _, body := range bodies {
		if err := postUntilAccepted(hc, "http://"+hookAddr+"/webhook/alertmanager", body); err != nil {
			b.Fatal(err)
		}
	}
	sent := time.Since(t0)
	testutil.PollUntil(b, 60*time.Minute, "every incident reaches an outcome", func() (bool, error) {
		got, err := outcomes(metricsAddr)
		if err != nil {
			return false, err
		}
		return got >= float64(n), fmt.Errorf("%.0f of %d incidents reached an outcome", got, n)
	})
	settled := time.Since(t0)
	rss, peak := rssMB(b, pid)
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(peak, "peak-rss-MB")
	b.ReportMetric(idle, "idle-rss-MB")
	b.Logf("%d incidents open (each at its outcome, lingering): RSS %.0f MiB (peak %.0f, idle before %.0f); sent in %s, all at an outcome after %s",
		n, rss, peak, idle, sent.Round(time.Millisecond), settled.Round(time.Millisecond))
}

// outcomes sums firebreak_incidents_total on a process's /metrics.
func outcomes(addr string) (float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, err
	}
	var sum float64
	if f, ok := fams["firebreak_incidents_total"]; ok {
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum, nil
}

// configDefaults are the incident settings firebreak dev gives incidents
// when firebreak.hcl sets nothing.
func configDefaults() workflows.Settings {
	d := config.Default()
	s := d.Guardrails.Storm
	return workflows.Settings{
		Linger: d.Incidents.Linger,
		Control: workflows.ControlSettings{MaxConcurrent: d.Guardrails.MaxConcurrent, StormThreshold: s.Incidents, StormWindow: s.Window,
			StormQuiet: s.Quiet, StormPageHold: s.PageHold},
	}
}
