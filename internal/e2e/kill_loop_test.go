package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
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

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/devserver"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/intake"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// Parameters of the kill loops.
const (
	// killLoopDefaultKills is how many kills a loop makes unless
	// FIREBREAK_KILLS says otherwise (FIREBREAK_KILLS=100 is the full
	// loop); it keeps each test near two minutes on a 2-core machine.
	killLoopDefaultKills = 10
	// killLoopPools is how many PgBouncers (targets) the storm remediates;
	// each has its own runbook in testdata/runbooks/kill-loop.
	killLoopPools = 6
	// killLoopStartPool is every PgBouncer's default_pool_size at start;
	// each incident of its pool grows it by one.
	killLoopStartPool = 2
	// killLoopBurst is how many alert groups fire at once before the first
	// kill; killLoopPerRound more start firing after every restart, so
	// incidents open during the whole loop. Groups alternate between a
	// pool (round robin) and the escalating disk runbook.
	killLoopBurst    = 24
	killLoopPerRound = 4
	// killLoopMaxUptime bounds the random point of each kill, counted from
	// the start of the process: uniform in [0, killLoopMaxUptime), so some
	// kills land during start-up and most while serving.
	killLoopMaxUptime = 7 * time.Second
	// killLoopMaxDowntime bounds how long TestKillLoopTemporalRestart
	// keeps Temporal down after a kill (uniform in [0, this)).
	killLoopMaxDowntime = 13 * time.Second
	// killLoopRepost is how often every firing alert is posted to
	// Alertmanager again, as Prometheus does, so none expires.
	killLoopRepost = 2 * time.Second
	// killLoopSettle bounds the wait, after the last restart, for every
	// incident to reach its outcome.
	killLoopSettle = 6 * time.Minute
)

// Alert names of the two kinds of groups (see the runbooks).
const (
	killLoopPoolAlert = "KillLoopPoolExhausted"
	killLoopDiskAlert = "KillLoopDiskFull"
)

// The Temporal helper of TestKillLoopTemporalRestart is this test binary,
// run again with these variables: init starts the embedded Temporal server
// on the state directory and port, prints killLoopTemporalReady, and
// serves until its stdin closes or it is killed.
const (
	killLoopTemporalStateEnv = "FIREBREAK_KILL_LOOP_TEMPORAL_STATE"
	killLoopTemporalPortEnv  = "FIREBREAK_KILL_LOOP_TEMPORAL_PORT"
	killLoopTemporalReady    = "KILL-LOOP-TEMPORAL-READY"
)

func init() {
	// Before TestMain: the helper process never runs the tests.
	if dir := os.Getenv(killLoopTemporalStateEnv); dir != "" {
		os.Exit(killLoopTemporalHelper(dir, os.Getenv(killLoopTemporalPortEnv)))
	}
}

// killLoopTemporalHelper runs only the embedded Temporal server, the way
// `firebreak dev` does, on a fixed frontend port.
func killLoopTemporalHelper(dir, port string) int {
	p, err := strconv.Atoi(port)
	if err != nil {
		fmt.Fprintf(os.Stderr, "temporal helper: port %q: %v\n", port, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	s, err := devserver.Start(ctx, devserver.Options{
		StateDir: dir, FrontendPort: p, UIPort: -1,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "temporal helper: %v\n", err)
		return 1
	}
	fmt.Println(killLoopTemporalReady, s.FrontendAddr())
	// The test holds stdin open; when it closes it (or dies), stop.
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = s.Stop()
	return 0
}

// TestKillLoop SIGKILLs one `firebreak dev` process (embedded Temporal
// server, worker and webhook receiver, persistent --state) at random
// points, K times (FIREBREAK_KILLS, default 10), restarting it each time on
// the same state directory and ports, while a real Alertmanager delivers a
// storm of alert groups to its webhook and retries what failed, and the
// incidents grow real PgBouncer pools. After the last restart every alert
// group must have exactly one incident (counted in Temporal's visibility),
// every incident an outcome, and every action must have been applied
// exactly once: each pool's SHOW CONFIG is its start plus one per incident,
// each incident's history schedules PgBouncerPoolSet once, and the
// incidents of a pool read, one after another, the value the previous one
// set. The seed is logged; FIREBREAK_KILL_SEED replays a schedule.
//
// Measured (FIREBREAK_KILLS=100, a kill every 0-7 s of a process's life):
// nothing lost or doubled, but progress collapses in the second half of
// the loop: lifetimes of 4-5 s that completed 35-120 incident workflow
// tasks early complete none late, incidents pile up in diagnosis, and
// firebreak dev logs thousands of Temporal "Fail to process task ...
// context deadline exceeded" (the queue processors re-running old tasks on
// SQLite). Temporal checkpoints its history queues every 30 s and writes
// the shard's queue state at most every 5 min (first after 10 s), so a
// server that never lives that long re-processes every task since its
// last checkpoint on each start. With those intervals set to 1 s in
// internal/devserver's dynamic config (an experiment on a copy, not in
// the tree) the same seed kept progressing to the end: 403 of 424
// incidents done at kill 97 instead of 265, no Temporal errors, settled
// in 12 s instead of 74 s.
func TestKillLoop(t *testing.T) {
	began := time.Now()
	kills := killLoopKills(t)
	rng, seed := killLoopRand(t)
	binc := buildAsync()
	env := startKillLoopEnv(t)
	state := t.TempDir()
	temporalPort := testutil.FreePort(t)
	cfg := env.writeConfig(t, "")
	b := <-binc
	if b.err != nil {
		t.Fatal(b.err)
	}
	dev := newRestartable(t, "firebreak-dev", "firebreak dev is running", b.bin, nil, false,
		"dev", "--state", state, "--temporal-port", strconv.Itoa(temporalPort), "--ui-port", "-1",
		"--listen", env.listen, "--runbooks", env.runbookDir, "--config", cfg, "--log-level", "info")
	dev.start()
	dev.waitReady(t, 90*time.Second)
	c := lazyClient(t, fmt.Sprintf("127.0.0.1:%d", temporalPort))
	t.Logf("seed %d (FIREBREAK_KILL_SEED=%d replays it); %d kills; firebreak dev ready after %s",
		seed, seed, kills, time.Since(began).Round(time.Millisecond))

	loopStart := time.Now()
	env.storm.add(t, killLoopBurst)
	base := time.Now()
	for i := 0; i < kills; i++ {
		// Fault injection: the kill point is drawn uniformly from the
		// process's first killLoopMaxUptime; this sleep is the schedule,
		// not a wait for a condition.
		delay := time.Duration(rng.Int64N(int64(killLoopMaxUptime)))
		time.Sleep(time.Until(base.Add(delay)))
		env.kills = append(env.kills, dev.kill(t))
		// The round's new groups start firing while firebreak is down:
		// Alertmanager's first delivery of each is refused.
		env.storm.add(t, killLoopPerRound)
		dev.start()
		base = dev.startedAt
	}
	dev.waitReady(t, 90*time.Second)
	loop := time.Since(loopStart)
	t.Logf("kill loop done after %s: %d kills, %d alert groups firing", loop.Round(time.Millisecond), kills, env.storm.count())

	env.check(t, c, engine.RecordPathIn(state))
	t.Logf("firebreak dev's warnings and errors over %d starts: %s", dev.starts, dev.logSummary())
	t.Logf("TestKillLoop: %d kills in %s, total %s", kills, loop.Round(time.Second), time.Since(began).Round(time.Second))
}

// TestKillLoopTemporalRestart is TestKillLoop with only the Temporal server
// dying: it runs alone (this test binary as a helper process running
// internal/devserver on a fixed port and state directory) and is SIGKILLed
// at random points K times and restarted, while one `firebreak serve`
// process (receiver and worker) keeps running against it. While Temporal is
// down the receiver cannot record alerts and must refuse them (503) so
// that Alertmanager retries; no alert may be lost and no action applied
// twice. The assertions are TestKillLoop's, plus: firebreak answered 503s,
// Alertmanager's deliveries failed with those 503s and were retried, and
// the serve process never exited.
//
// Measured (FIREBREAK_KILLS=100, Temporal down 0-13 s after each kill, 10
// min 39 s in all): a 17-minute loop, 424 incidents for 424 alert groups,
// 212 pool actions each applied once, 1227 webhook requests answered 503,
// every one of them retried by Alertmanager, no alert lost.
func TestKillLoopTemporalRestart(t *testing.T) {
	began := time.Now()
	kills := killLoopKills(t)
	rng, seed := killLoopRand(t)
	binc := buildAsync()
	env := startKillLoopEnv(t)
	state := t.TempDir()
	temporalAddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	_, port, _ := strings.Cut(temporalAddr, ":")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := newRestartable(t, "temporal", killLoopTemporalReady, self,
		[]string{killLoopTemporalStateEnv + "=" + state, killLoopTemporalPortEnv + "=" + port}, true, "-test.run=^$")
	tmp.start()
	tmp.waitReady(t, 90*time.Second)

	cfg := env.writeConfig(t, fmt.Sprintf("temporal {\n  address = %q\n}\nserver {\n  listen = %q\n}\n", temporalAddr, env.listen))
	record := filepath.Join(t.TempDir(), "escalations.jsonl")
	b := <-binc
	if b.err != nil {
		t.Fatal(b.err)
	}
	serve := newRestartable(t, "firebreak-serve", "firebreak serve (", b.bin, nil, false,
		"serve", "--config", cfg, "--runbooks", env.runbookDir, "--record", record, "--log-level", "info")
	serve.start()
	serve.waitReady(t, 60*time.Second)
	c := lazyClient(t, temporalAddr)
	t.Logf("seed %d (FIREBREAK_KILL_SEED=%d replays it); %d kills of the Temporal server; ready after %s",
		seed, seed, kills, time.Since(began).Round(time.Millisecond))

	loopStart := time.Now()
	env.storm.add(t, killLoopBurst)
	base := time.Now()
	var downtime time.Duration
	for i := 0; i < kills; i++ {
		// Fault injection: see TestKillLoop.
		delay := time.Duration(rng.Int64N(int64(killLoopMaxUptime)))
		time.Sleep(time.Until(base.Add(delay)))
		env.kills = append(env.kills, tmp.kill(t))
		// The round's new groups start firing while Temporal is down, and
		// it stays down for a random while, sometimes longer than
		// firebreak's and Alertmanager's 10 s timeouts: the receiver cannot
		// record them and must not answer 200.
		env.storm.add(t, killLoopPerRound)
		down := time.Duration(rng.Int64N(int64(killLoopMaxDowntime)))
		time.Sleep(down) // fault injection: how long Temporal stays down
		serve.mustRun(t)
		downtime += down
		tmp.start()
		base = tmp.startedAt
	}
	tmp.waitReady(t, 90*time.Second)
	loop := time.Since(loopStart)
	t.Logf("kill loop done after %s: %d kills of Temporal, down %s in all, %d alert groups firing",
		loop.Round(time.Millisecond), kills, downtime.Round(time.Millisecond), env.storm.count())

	env.check(t, c, record)
	t.Logf("firebreak serve's warnings and errors: %s", serve.logSummary())
	t.Logf("Temporal's warnings and errors over %d starts: %s", tmp.starts, tmp.logSummary())
	serve.mustRun(t)
	if serve.starts != 1 {
		t.Errorf("firebreak serve started %d times, want 1", serve.starts)
	}
	refused := metricSum(t, "http://"+env.listen+"/metrics", "firebreak_webhook_requests_total", `code="503"`)
	accepted := metricSum(t, "http://"+env.listen+"/metrics", "firebreak_webhook_requests_total", `code="200"`)
	t.Logf("firebreak answered %g webhook requests 503 and %g 200", refused, accepted)
	if refused == 0 {
		t.Errorf("firebreak never answered 503 while Temporal was down")
	}
	if failed := metricSum(t, env.am.URL+"/metrics", "alertmanager_notification_requests_failed_total", `integration="webhook"`); failed == 0 {
		t.Errorf("Alertmanager saw no failed webhook notification while Temporal was down")
	}
	if n := env.amFailures(t)["503 answered"]; n == 0 {
		t.Errorf("Alertmanager's log shows no attempt answered 503 while Temporal was down")
	}
	t.Logf("TestKillLoopTemporalRestart: %d kills in %s, total %s", kills, loop.Round(time.Second), time.Since(began).Round(time.Second))
}

type built struct {
	bin string
	err error
}

func buildAsync() chan built {
	ch := make(chan built, 1)
	go func() {
		bin, err := buildFirebreak()
		ch <- built{bin, err}
	}()
	return ch
}

func killLoopKills(t *testing.T) int {
	if s := os.Getenv("FIREBREAK_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("FIREBREAK_KILLS=%q: want a positive number", s)
		}
		return n
	}
	return killLoopDefaultKills
}

func killLoopRand(t *testing.T) (*rand.Rand, uint64) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FIREBREAK_KILL_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FIREBREAK_KILL_SEED=%q: %v", s, err)
		}
		seed = v
	}
	return rand.New(rand.NewPCG(seed, 0x6b696c6c)), seed
}

func lazyClient(t *testing.T, addr string) client.Client {
	c, err := client.NewLazyClient(client.Options{HostPort: addr, Logger: quietLog{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// killLoopEnv is everything of a kill loop but firebreak and Temporal: a
// PostgreSQL with killLoopPools PgBouncers, a Prometheus for the runbooks'
// queries, an Alertmanager delivering to the webhook address, and the
// storm of alerts posted to it.
type killLoopEnv struct {
	bouncers   []*testutil.PgBouncer
	prom       *testutil.Prometheus
	am         *testutil.Alertmanager
	listen     string // host:port firebreak's webhook listens on
	secretDir  string
	runbookDir string
	set        *runbooks.Set
	storm      *alertStorm
	kills      []killRecord
}

func startKillLoopEnv(t *testing.T) *killLoopEnv {
	t.Helper()
	began := time.Now()
	e := &killLoopEnv{secretDir: t.TempDir()}
	pg := testutil.StartPostgres(t)
	for i := 0; i < killLoopPools; i++ {
		b := testutil.StartPgBouncer(t, pg, testutil.PgBouncerOptions{Database: "demo", PoolSize: killLoopStartPool})
		e.bouncers = append(e.bouncers, b)
		if err := os.WriteFile(filepath.Join(e.secretDir, fmt.Sprintf("pgbouncer_%d", i)), []byte(b.AdminDSN()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.prom = testutil.StartPrometheus(t, testutil.PrometheusOptions{})
	e.listen = fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	e.am = testutil.StartAlertmanager(t, testutil.AlertmanagerOptions{
		WebhookURL: "http://" + e.listen + "/webhook/alertmanager",
		GroupBy:    []string{"alertname", "service"},
	})
	dir, err := filepath.Abs(filepath.Join("testdata", "runbooks", "kill-loop"))
	if err != nil {
		t.Fatal(err)
	}
	e.runbookDir = dir
	e.set = loadRunbooks(t, dir)
	e.storm = startStorm(t, e.am.URL, e.set)
	t.Logf("postgres, %d pgbouncers, prometheus and alertmanager up in %s", killLoopPools, time.Since(began).Round(time.Millisecond))
	return e
}

// writeConfig writes firebreak.hcl: Prometheus, the PgBouncer secrets,
// incidents that stay open for the whole test (repeats join them), storm
// detection far above the storm's size so every incident acts, plus extra.
func (e *killLoopEnv) writeConfig(t *testing.T, extra string) string {
	t.Helper()
	src := fmt.Sprintf(`prometheus {
  url = %q
}
secrets {
  dir = %q
}
incidents {
  linger = "1h"
}
guardrails {
  storm {
    incidents = 100000
  }
}
`, e.prom.URL, e.secretDir) + extra
	p := filepath.Join(t.TempDir(), "firebreak.hcl")
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *killLoopEnv) amLog(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(e.am.Dir, "alertmanager.log"))
	if err != nil {
		t.Logf("alertmanager log: %v", err)
	}
	return string(b)
}

// amFailures sums up Alertmanager's log of failed webhook attempts
// ("Notify attempt failed", one line per attempt it retries) by cause.
func (e *killLoopEnv) amFailures(t *testing.T) map[string]int {
	causes := map[string]int{}
	for _, line := range strings.Split(e.amLog(t), "\n") {
		if !strings.Contains(line, "Notify attempt failed") {
			continue
		}
		switch {
		case strings.Contains(line, "unexpected status code 503"):
			causes["503 answered"]++
		case strings.Contains(line, "connection refused"):
			causes["connection refused"]++
		case strings.Contains(line, "context deadline exceeded"), strings.Contains(line, "context canceled"):
			causes["no answer before Alertmanager's deadline"]++
		case strings.Contains(line, "EOF"), strings.Contains(line, "connection reset"):
			causes["connection closed mid-request"]++
		default:
			causes["other"]++
			if causes["other"] == 1 {
				t.Logf("alertmanager: %s", line)
			}
		}
	}
	return causes
}

// counted is "k1 n1, k2 n2" in key order, or "none".
func counted(m map[string]int) string {
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Phases a kill can find an alert group in, in the order a group passes
// through them.
const (
	phaseInFlight   = "alert not yet an incident"
	phaseDiagnosing = "diagnosing"
	phaseGuardrails = "asking slot and permit"
	phaseActing     = "reading/setting the pool"
	phaseVerifying  = "verifying"
	phaseEscalating = "escalating"
	phaseDone       = "outcome reached"
)

var killLoopPhases = []string{phaseInFlight, phaseDiagnosing, phaseGuardrails, phaseActing, phaseVerifying, phaseEscalating, phaseDone}

// killRecord is one kill: when, how long after the start of the process
// it killed, and whether that process had said it was ready.
type killRecord struct {
	at      time.Time
	uptime  time.Duration
	ready   bool
	startup time.Duration // from its start until it said it was ready, when it did
}

// check waits for every incident's outcome and checks the loop's promises:
// one incident per alert group, an outcome for each, every action applied
// exactly once; and logs what the kills hit.
func (e *killLoopEnv) check(t *testing.T, c client.Client, recordPath string) {
	t.Helper()
	groups := e.storm.snapshot()
	settleStart := time.Now()

	// Every group has its incident, and every incident its outcome.
	states := map[string]incident.State{}
	testutil.PollUntil(t, killLoopSettle, "every alert group's incident reaches an outcome", func() (bool, error) {
		var missing []string
		var lastErr error
		for _, g := range groups {
			if st, ok := states[g.id]; ok && st.Outcome != "" {
				continue
			}
			st, err := incidentState(t, c, g.id)
			if err != nil {
				lastErr = err
				missing = append(missing, g.id+" (no answer)")
				continue
			}
			states[g.id] = st
			if st.Outcome == "" {
				missing = append(missing, fmt.Sprintf("%s (%s)", g.id, st.Phase))
			}
		}
		if len(missing) == 0 {
			return true, nil
		}
		if len(missing) > 5 {
			missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
		}
		return false, fmt.Errorf("%d of %d without an outcome: %s (last error: %v)", len(missing), len(groups), strings.Join(missing, ", "), lastErr)
	})
	t.Logf("all %d incidents reached an outcome %s after the last restart", len(groups), time.Since(settleStart).Round(time.Millisecond))

	// Exactly one incident per group, counted in Temporal's visibility: no
	// group lost, none started twice, nothing else started.
	var runs map[string]int
	testutil.PollUntil(t, time.Minute, "visibility lists every incident", func() (bool, error) {
		runs = incidentRuns(t, c)
		return len(runs) >= len(groups), fmt.Errorf("%d incident workflows listed, %d groups", len(runs), len(groups))
	})
	want := map[string]bool{}
	for _, g := range groups {
		want[g.id] = true
		if n := runs[g.id]; n != 1 {
			t.Errorf("alert group %s (%s): %d incident runs, want exactly 1", g.service, g.id, n)
		}
	}
	for id, n := range runs {
		if !want[id] {
			t.Errorf("incident %s (%d runs) belongs to no alert group", id, n)
		}
	}

	records := escalationRecords(t, recordPath)
	hist := map[string]*incidentHistory{}
	var notifications, repeats, dupRecords int
	perPool := make([][]incident.ActionRecord, killLoopPools)
	outcomes := map[string]int{}
	for _, g := range groups {
		st := states[g.id]
		h := readIncidentHistory(t, c, g.id)
		hist[g.id] = h
		outcomes[g.alertname+" "+st.Outcome]++
		notifications += st.Notifications
		if st.Notifications > 1 {
			repeats++
		}
		if st.Notifications < 1 {
			t.Errorf("%s: %d notifications recorded", g.id, st.Notifications)
		}
		if g.pool < 0 {
			if st.Outcome != incident.OutcomeEscalated || len(st.Actions) != 0 {
				t.Errorf("disk group %s (%s): outcome %s (%s), actions %+v; want escalated without action", g.service, g.id, st.Outcome, st.Reason, st.Actions)
			}
			if records[g.id] < 1 {
				t.Errorf("disk group %s (%s): no escalation record", g.service, g.id)
			}
			dupRecords += max(records[g.id]-1, 0)
			continue
		}
		if st.Outcome != incident.OutcomeResolved {
			t.Errorf("pool group %s (%s, pool %d): outcome %s: %s\n%s", g.service, g.id, g.pool, st.Outcome, st.Reason, timeline(st))
		}
		if n := h.scheduled["PgBouncerPoolSet"]; n != 1 {
			t.Errorf("pool group %s (%s): PgBouncerPoolSet scheduled %d times, want exactly 1 (%v)", g.service, g.id, n, h.scheduled)
		}
		if len(st.Actions) != 1 || !st.Actions[0].Applied || st.Actions[0].Error != "" || st.Actions[0].Planned != st.Actions[0].Prior+1 {
			t.Errorf("pool group %s (%s): actions %+v, want one applied +1", g.service, g.id, st.Actions)
			continue
		}
		perPool[g.pool] = append(perPool[g.pool], st.Actions[0])
	}

	// On the real system: each pool is its start plus one per incident,
	// and the incidents of a pool each read what the one before set.
	applied, unchanged := 0, 0
	for i, acts := range perPool {
		sort.Slice(acts, func(a, b int) bool { return acts[a].Prior < acts[b].Prior })
		for k, a := range acts {
			if a.Prior != int64(killLoopStartPool+k) {
				t.Errorf("pool %d: the %d. action read %d, want %d (every earlier action applied exactly once): %+v", i, k+1, a.Prior, killLoopStartPool+k, acts)
				break
			}
			if !a.Changed {
				unchanged++
			}
		}
		applied += len(acts)
		wantSize := strconv.Itoa(killLoopStartPool + len(acts))
		if got := showDefaultPoolSize(t, e.bouncers[i]); got != wantSize {
			t.Errorf("pgbouncer %d: SHOW CONFIG default_pool_size = %s, want %s (%d + one per incident of %d)", i, got, wantSize, killLoopStartPool, len(acts))
		}
	}

	e.logKills(t, groups, hist, states)
	var retried []string
	retries := map[string]int{}
	wftTimeouts, wftFailures := 0, 0
	for _, h := range hist {
		for name, n := range h.retriedAfterTimeout {
			retries[name] += n
		}
		wftTimeouts += h.workflowTaskTimeouts
		wftFailures += h.workflowTaskFailures
	}
	for name, n := range retries {
		retried = append(retried, fmt.Sprintf("%s %d", name, n))
	}
	sort.Strings(retried)
	var oc []string
	for k, n := range outcomes {
		oc = append(oc, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(oc)
	sent := metricSum(t, e.am.URL+"/metrics", "alertmanager_notifications_total", `integration="webhook"`)
	failed := metricSum(t, e.am.URL+"/metrics", "alertmanager_notification_requests_failed_total", `integration="webhook"`)
	posts, postFails := e.storm.stats()
	if failed == 0 {
		t.Errorf("no webhook request of Alertmanager failed: the loop never made it retry")
	}
	t.Logf("Alertmanager's failed webhook attempts, by cause (its log): %s", counted(e.amFailures(t)))
	t.Logf("incidents: %d for %d alert groups (%s); %d notifications heard (%d incidents heard a repeat); "+
		"actions: %d applied on %d PgBouncers, %d of them found the pool already set by an earlier, unrecorded attempt; "+
		"activity attempts that timed out (their worker killed, or Temporal too slow to record them) and were retried: [%s]; incident workflow tasks timed out: %d, failed: %d; "+
		"escalation records: %d duplicates; Alertmanager: %g webhook notifications, %g webhook requests failed and retried; "+
		"storm posts to Alertmanager: %d (%d failed)",
		len(runs), len(groups), strings.Join(oc, ", "), notifications, repeats,
		applied, killLoopPools, unchanged, strings.Join(retried, ", "), wftTimeouts, wftFailures, dupRecords, sent, failed, posts, postFails)
}

// logKills says, for every kill, which phase each alert group was in
// when it landed, from the incidents' histories, and sums it up.
func (e *killLoopEnv) logKills(t *testing.T, groups []*stormGroup, hist map[string]*incidentHistory, states map[string]incident.State) {
	killsIn := map[string]int{}  // kills that found at least one group in the phase
	groupsIn := map[string]int{} // (kill, group) pairs per phase
	starting := 0
	var prev time.Time
	for i, k := range e.kills {
		counts := map[string]int{}
		wts, acts := 0, 0
		for _, g := range groups {
			h := hist[g.id]
			if p := g.phaseAt(k.at, h, states[g.id]); p != "" {
				counts[p]++
			}
			wts += countBetween(h.wtDone, prev, k.at)
			acts += countBetween(h.actDone, prev, k.at)
		}
		prev = k.at
		var parts []string
		for _, p := range killLoopPhases {
			if counts[p] > 0 {
				killsIn[p]++
				groupsIn[p] += counts[p]
				parts = append(parts, fmt.Sprintf("%d %s", counts[p], p))
			}
		}
		proc := "serving"
		if !k.ready {
			proc = "starting up"
			starting++
		}
		t.Logf("kill %d: %s after start (%s), since the kill before %d incident workflow tasks and %d activities completed: %s",
			i+1, k.uptime.Round(time.Millisecond), proc, wts, acts, strings.Join(parts, ", "))
	}
	var sum []string
	for _, p := range killLoopPhases {
		sum = append(sum, fmt.Sprintf("%s: %d kills (%d group-kills)", p, killsIn[p], groupsIn[p]))
	}
	t.Logf("%d kills, %d during start-up, %d while serving; phases hit: %s", len(e.kills), starting, len(e.kills)-starting, strings.Join(sum, "; "))
	// How long start-ups took, early and late in the loop (the state grows).
	var early, late []time.Duration
	for i, k := range e.kills {
		if !k.ready {
			continue
		}
		if i < len(e.kills)/2 {
			early = append(early, k.startup)
		} else {
			late = append(late, k.startup)
		}
	}
	t.Logf("start-up until ready, of the processes killed while serving: first half of the loop %s, second half %s", durStats(early), durStats(late))
}

// countBetween counts the times in (from, to].
func countBetween(ts []time.Time, from, to time.Time) int {
	n := 0
	for _, at := range ts {
		if at.After(from) && !at.After(to) {
			n++
		}
	}
	return n
}

// durStats is "median m (min a, max b, n)" of ds.
func durStats(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("median %s (min %s, max %s, %d starts)", r(ds[len(ds)/2]), r(ds[0]), r(ds[len(ds)-1]), len(ds))
}

// incidentHistory is what an incident's history says about its progress.
type incidentHistory struct {
	started   time.Time
	scheduled map[string]int       // ActivityTaskScheduled events per type
	first     map[string]time.Time // first schedule per type
	completed map[string]time.Time // last completion per type
	// retriedAfterTimeout counts activity attempts that timed out (their
	// worker died) and were retried, per type.
	retriedAfterTimeout  map[string]int
	workflowTaskTimeouts int
	workflowTaskFailures int
	// progress is when the incident's workflow tasks and activities
	// completed, to count what each process lifetime got done.
	wtDone, actDone []time.Time
}

func readIncidentHistory(t *testing.T, c client.Client, id string) *incidentHistory {
	t.Helper()
	h := &incidentHistory{scheduled: map[string]int{}, first: map[string]time.Time{}, completed: map[string]time.Time{}, retriedAfterTimeout: map[string]int{}}
	types := map[int64]string{}
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		at := ev.GetEventTime().AsTime()
		switch {
		case ev.GetWorkflowExecutionStartedEventAttributes() != nil:
			h.started = at
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			name := ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			types[ev.GetEventId()] = name
			h.scheduled[name]++
			if _, ok := h.first[name]; !ok {
				h.first[name] = at
			}
		case ev.GetActivityTaskStartedEventAttributes() != nil:
			a := ev.GetActivityTaskStartedEventAttributes()
			if a.GetAttempt() > 1 && a.GetLastFailure().GetTimeoutFailureInfo() != nil {
				h.retriedAfterTimeout[types[a.GetScheduledEventId()]]++
			}
		case ev.GetActivityTaskCompletedEventAttributes() != nil:
			h.completed[types[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]] = at
			h.actDone = append(h.actDone, at)
		case ev.GetWorkflowTaskCompletedEventAttributes() != nil:
			h.wtDone = append(h.wtDone, at)
		case ev.GetWorkflowTaskTimedOutEventAttributes() != nil:
			h.workflowTaskTimeouts++
		case ev.GetWorkflowTaskFailedEventAttributes() != nil:
			h.workflowTaskFailures++
		}
	}
	return h
}

// phaseAt is the phase the group was in at time at, or "" before it fired.
func (g *stormGroup) phaseAt(at time.Time, h *incidentHistory, st incident.State) string {
	type mark struct {
		phase string
		from  time.Time
	}
	marks := []mark{{phaseInFlight, g.postedAt}, {phaseDiagnosing, h.started}}
	if g.pool >= 0 {
		marks = append(marks,
			mark{phaseGuardrails, h.first["RequestSlot"]},
			mark{phaseActing, h.first["PgBouncerPoolRead"]},
			mark{phaseVerifying, h.completed["PgBouncerPoolSet"]},
			mark{phaseDone, st.OutcomeAt})
	} else {
		marks = append(marks, mark{phaseEscalating, h.first["Escalate"]}, mark{phaseDone, h.completed["Escalate"]})
	}
	phase := ""
	for _, m := range marks {
		if !m.from.IsZero() && !at.Before(m.from) {
			phase = m.phase
		}
	}
	return phase
}

// escalationRecords counts the escalation record's lines per incident.
func escalationRecords(t *testing.T, path string) map[string]int {
	t.Helper()
	out := map[string]int{}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("escalation record %s: %v", path, err)
		return out
	}
	torn := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e struct{ IncidentID string }
		if err := json.Unmarshal(line, &e); err != nil {
			torn++
			continue
		}
		out[e.IncidentID]++
	}
	if torn > 0 {
		t.Logf("escalation record: %d lines are not JSON (torn by a kill mid-write)", torn)
	}
	return out
}

// showDefaultPoolSize reads default_pool_size from a PgBouncer's SHOW CONFIG.
func showDefaultPoolSize(t *testing.T, b *testutil.PgBouncer) string {
	t.Helper()
	s := &scenario{bouncer: b}
	return s.poolSize(t)
}

// metricSum adds up the samples of a metric whose labels contain match.
func metricSum(t *testing.T, url, name, match string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	sum := 0.0
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, name+"{") || !strings.Contains(line, match) {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// stormGroup is one alert group of the storm: one alert, its own service.
type stormGroup struct {
	n         int
	alertname string
	service   string
	pool      int // the PgBouncer it remediates; -1 for a disk group
	labels    map[string]string
	id        string // the incident it must have
	postedAt  time.Time
}

// alertStorm posts the storm's alerts to Alertmanager's API v2, all of
// them again every killLoopRepost (and at once when groups are added), as
// Prometheus re-sends firing alerts, so none expires while the test runs.
type alertStorm struct {
	url string
	set *runbooks.Set

	mu            sync.Mutex
	groups        []*stormGroup
	posts, failed int

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

func startStorm(t *testing.T, amURL string, set *runbooks.Set) *alertStorm {
	s := &alertStorm{url: amURL + "/api/v2/alerts", set: set, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	t.Cleanup(func() { close(s.stop); <-s.done })
	return s
}

// add starts n more groups firing.
func (s *alertStorm) add(t *testing.T, n int) {
	t.Helper()
	s.mu.Lock()
	for range n {
		g := &stormGroup{n: len(s.groups), pool: -1, postedAt: time.Now()}
		g.service = fmt.Sprintf("svc-%03d", g.n)
		g.labels = map[string]string{"service": g.service}
		if g.n%2 == 0 {
			g.pool = (g.n / 2) % killLoopPools
			g.alertname = killLoopPoolAlert
			g.labels["pool"] = fmt.Sprintf("p%d", g.pool)
			g.labels["severity"] = "page"
		} else {
			g.alertname = killLoopDiskAlert
			g.labels["severity"] = "warning"
		}
		g.labels["alertname"] = g.alertname
		rb := s.set.Match(g.labels)
		if rb == nil {
			s.mu.Unlock()
			t.Fatalf("no runbook matches %v", g.labels)
		}
		g.id = intake.IncidentID(rb.Name, rb.IncidentKey(g.labels, ""))
		s.groups = append(s.groups, g)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *alertStorm) snapshot() []*stormGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*stormGroup(nil), s.groups...)
}

func (s *alertStorm) count() int { return len(s.snapshot()) }

func (s *alertStorm) stats() (posts, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts, s.failed
}

func (s *alertStorm) run() {
	defer close(s.done)
	tick := time.NewTicker(killLoopRepost)
	defer tick.Stop()
	hc := &http.Client{Timeout: 5 * time.Second}
	for {
		s.post(hc)
		select {
		case <-s.stop:
			return
		case <-tick.C:
		case <-s.wake:
		}
	}
}

func (s *alertStorm) post(hc *http.Client) {
	groups := s.snapshot()
	if len(groups) == 0 {
		return
	}
	ends := time.Now().Add(3 * time.Minute).UTC().Format(time.RFC3339Nano)
	alerts := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		alerts = append(alerts, map[string]any{
			"labels":       g.labels,
			"annotations":  map[string]string{"summary": g.alertname + " on " + g.service},
			"startsAt":     g.postedAt.UTC().Format(time.RFC3339Nano),
			"endsAt":       ends,
			"generatorURL": "http://prometheus.invalid/graph?g0.expr=kill_loop",
		})
	}
	body, _ := json.Marshal(alerts)
	ok := false
	if resp, err := hc.Post(s.url, "application/json", bytes.NewReader(body)); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ok = resp.StatusCode == http.StatusOK
	}
	s.mu.Lock()
	s.posts++
	if !ok {
		s.failed++
	}
	s.mu.Unlock()
}

// restartable is a child process a kill loop kills and starts again; every
// start appends to one log. It is ready once a line of its standard output
// contains readyOn.
type restartable struct {
	name    string
	bin     string
	args    []string
	env     []string
	readyOn string
	stdin   bool // hold its stdin open (the Temporal helper stops at EOF)
	log     *os.File

	cmd       *exec.Cmd
	in        io.WriteCloser
	done      chan struct{}
	ready     chan struct{}
	startedAt time.Time
	readyAt   time.Time // written before ready is closed
	starts    int
}

func newRestartable(t *testing.T, name, readyOn, bin string, env []string, stdin bool, args ...string) *restartable {
	logf, err := os.OpenFile(filepath.Join(t.TempDir(), name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	r := &restartable{name: name, bin: bin, args: args, env: env, readyOn: readyOn, stdin: stdin, log: logf}
	t.Cleanup(func() {
		if r.cmd != nil {
			r.signal(syscall.SIGKILL)
		}
		if t.Failed() {
			tail(t, logf.Name())
		}
		logf.Close()
	})
	return r
}

func (r *restartable) start() {
	r.starts++
	r.startedAt = time.Now()
	fmt.Fprintf(r.log, "=== %s start %d at %s\n", r.name, r.starts, r.startedAt.Format("15:04:05.000"))
	cmd := exec.Command(r.bin, r.args...)
	cmd.Env = append(os.Environ(), r.env...)
	cmd.Stderr = r.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		panic(err)
	}
	r.in = nil
	if r.stdin {
		if r.in, err = cmd.StdinPipe(); err != nil {
			panic(err)
		}
	}
	if err := cmd.Start(); err != nil {
		panic(fmt.Sprintf("start %s: %v", r.name, err))
	}
	done, ready := make(chan struct{}), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(r.log, sc.Text())
			if !seen && strings.Contains(sc.Text(), r.readyOn) {
				seen = true
				r.readyAt = time.Now()
				close(ready)
			}
		}
		_ = cmd.Wait()
		close(done)
	}()
	r.cmd, r.done, r.ready = cmd, done, ready
}

func (r *restartable) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *restartable) isReady() bool {
	select {
	case <-r.ready:
		return true
	default:
		return false
	}
}

// waitReady waits until the process says it is ready; it fails the test
// when the process exits first.
func (r *restartable) waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	testutil.PollUntil(t, timeout, r.name+" ready", func() (bool, error) {
		if r.isReady() {
			return true, nil
		}
		if r.exited() {
			t.Fatalf("%s (start %d) exited before it was ready: %s", r.name, r.starts, r.cmd.ProcessState)
		}
		return false, fmt.Errorf("%s started %s ago, not ready", r.name, time.Since(r.startedAt).Round(time.Millisecond))
	})
}

// logSummary counts the warnings and errors the process logged (slog's
// text format), by message, most frequent first.
func (r *restartable) logSummary() string {
	b, err := os.ReadFile(r.log.Name())
	if err != nil {
		return err.Error()
	}
	counts := map[string]int{}
	example := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		level := ""
		switch {
		case strings.Contains(line, "level=ERROR"):
			level = "ERROR"
		case strings.Contains(line, "level=WARN"):
			level = "WARN"
		default:
			continue
		}
		msg := line
		if _, m, ok := strings.Cut(line, " msg="); ok {
			if strings.HasPrefix(m, `"`) {
				if j := strings.Index(m[1:], `"`); j >= 0 {
					m = m[:j+2]
				}
			} else if j := strings.IndexByte(m, ' '); j >= 0 {
				m = m[:j]
			}
			msg = m
		}
		counts[level+" "+msg]++
		if _, ok := example[level+" "+msg]; !ok {
			if len(line) > 600 {
				line = line[:600] + "…"
			}
			example[level+" "+msg] = line
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return counts[keys[i]] > counts[keys[j]] || counts[keys[i]] == counts[keys[j]] && keys[i] < keys[j]
	})
	if len(keys) > 6 {
		keys = keys[:6]
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("\n  %dx %s, the first: %s", counts[k], k, example[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "")
}

// mustRun fails the test if the process exited on its own.
func (r *restartable) mustRun(t *testing.T) {
	t.Helper()
	if r.exited() {
		t.Fatalf("%s (start %d) exited on its own: %s", r.name, r.starts, r.cmd.ProcessState)
	}
}

// kill SIGKILLs the process group, once the process is known to be alive.
func (r *restartable) kill(t *testing.T) killRecord {
	t.Helper()
	r.mustRun(t)
	k := killRecord{at: time.Now(), ready: r.isReady()}
	k.uptime = k.at.Sub(r.startedAt)
	if k.ready {
		k.startup = r.readyAt.Sub(r.startedAt)
	}
	r.signal(syscall.SIGKILL)
	fmt.Fprintf(r.log, "=== %s SIGKILLed at %s, %s after its start\n", r.name, k.at.Format("15:04:05.000"), k.uptime.Round(time.Millisecond))
	return k
}

func (r *restartable) signal(sig syscall.Signal) {
	if !r.exited() {
		_ = syscall.Kill(-r.cmd.Process.Pid, sig)
	}
	<-r.done
	if r.in != nil {
		_ = r.in.Close()
	}
}
