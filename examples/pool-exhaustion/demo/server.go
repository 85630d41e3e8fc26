// Package demo is the payment API of firebreak's pool-exhaustion scenario: a
// small HTTP service whose every request runs one short transaction through
// PgBouncer, and a bounded load generator to drive it.
//
// The service is deliberately fragile in one way only: each request has a
// tight deadline covering both the wait for a database connection and the
// query, so when PgBouncer's pool is too small requests fail fast with
// "connection timeout" and the error rate climbs. Growing PgBouncer's
// default_pool_size through its admin console — what firebreak's runbook
// does — makes the errors stop. Its client-side pool (pgxpool) is generous on
// purpose so that the bottleneck is PgBouncer's pool, the thing the runbook
// can change.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults of Config, chosen (and measured, see the scenario README) so that
// with PgBouncer's default_pool_size=2 and 40 load workers most requests
// fail, and with a pool of 12 or more almost none do.
const (
	DefaultListen   = "127.0.0.1:18080"
	DefaultService  = "demo"
	DefaultWork     = 20 * time.Millisecond
	DefaultTimeout  = 100 * time.Millisecond
	DefaultMaxConns = 50
)

// shutdownGrace bounds how long in-flight requests get when the server stops;
// every request is itself bounded by Config.Timeout, so this is generous.
const shutdownGrace = 5 * time.Second

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	Listen   string        // HTTP listen address (host:port)
	DSN      string        // PgBouncer URL of the pooled database
	Service  string        // value of the service label on every metric
	Work     time.Duration // how long each transaction holds its server connection (pg_sleep)
	Timeout  time.Duration // per-request deadline for connection acquisition plus query
	MaxConns int32         // client-side pool size; keep it above PgBouncer's pool
	Logger   *slog.Logger  // where request failures are reported (sampled)
}

// withDefaults fills zero fields of c.
func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Service == "" {
		c.Service = DefaultService
	}
	if c.Work == 0 {
		c.Work = DefaultWork
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Server is the demo payment API: GET /pay, GET /metrics, GET /healthz.
type Server struct {
	cfg     Config
	pool    *pgxpool.Pool
	metrics *metrics
	errLog  *sampledLog
}

// New validates cfg and creates the server's connection pool. Connections are
// opened lazily, so New succeeds while PgBouncer is still starting; requests
// fail until it is up.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.DSN == "" {
		return nil, errors.New("new demo server: dsn is required")
	}
	if cfg.Work < 0 || cfg.Timeout <= 0 || cfg.MaxConns < 1 {
		return nil, fmt.Errorf("new demo server: work (%s) must be >= 0, timeout (%s) and max conns (%d) > 0", cfg.Work, cfg.Timeout, cfg.MaxConns)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx's parse errors do not repeat the password; do not add the DSN.
		return nil, fmt.Errorf("new demo server: parse dsn: %w", err)
	}
	pcfg.MaxConns = cfg.MaxConns
	// PgBouncer 1.18 in transaction pooling mode cannot track prepared
	// statements, so every query goes in the simple protocol, whatever the
	// DSN says.
	pcfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
	if err != nil {
		return nil, fmt.Errorf("new demo server: create pool: %w", err)
	}
	return &Server{
		cfg:     cfg,
		pool:    pool,
		metrics: newMetrics(cfg.Service, cfg.MaxConns),
		errLog:  newSampledLog(cfg.Logger, time.Second),
	}, nil
}

// Close releases the server's database connections.
func (s *Server) Close() { s.pool.Close() }

// Handler returns the server's routes, for tests and for embedding.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pay", s.pay)
	mux.HandleFunc("POST /pay", s.pay)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	return mux
}

// ListenAndServe listens on the configured address and serves until ctx is
// done, then shuts down gracefully.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, then shuts down gracefully. It closes
// ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shut down %s: %w", ln.Addr(), err)
	}
	return nil
}

// pay runs one payment: a short transaction through PgBouncer under the
// request deadline.
func (s *Server) pay(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reason, err := s.transact(r.Context())
	code := http.StatusOK
	switch {
	case err == nil:
	case r.Context().Err() != nil:
		// The client went away (the load generator stopping); nobody reads
		// the answer. 499 is the de-facto "client closed request" code.
		code = 499
	case reason == ReasonDBError:
		code = http.StatusInternalServerError
	default:
		code = http.StatusServiceUnavailable
	}
	s.metrics.duration.Observe(time.Since(start).Seconds())
	s.metrics.requests.WithLabelValues(fmt.Sprint(code)).Inc()
	switch code {
	case http.StatusOK:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"paid"}` + "\n"))
	case 499:
	default:
		s.metrics.errors.WithLabelValues(reason).Inc()
		s.errLog.log(reason, err)
		http.Error(w, errorClass(reason), code)
	}
}

// transact runs BEGIN; SELECT pg_sleep(work); COMMIT and waits for it at
// most Timeout. In transaction pooling PgBouncer assigns a server connection
// when the first statement (BEGIN) arrives and queues the client until one
// is free, so the time until BEGIN returns is the time spent waiting for
// PgBouncer's pool. On failure it returns the reason for the error metric.
//
// When the deadline passes, the request fails but its transaction is not
// interrupted: it finishes in the background (bounded by abandonTimeout) and
// returns its connection to the pool. Interrupting it would make pgx close
// the connection, and every timed-out request would then cost a new
// connection and a SCRAM handshake through single-threaded PgBouncer. Under
// overload that reconnect storm kept PgBouncer saturated even after its pool
// was raised to 20 (measured: 100% errors for 30 s), a different failure from
// the one this scenario demonstrates. The backlog of abandoned transactions
// is bounded by the client pool's MaxConns.
func (s *Server) transact(parent context.Context) (reason string, err error) {
	ctx, cancel := context.WithTimeout(parent, s.cfg.Timeout)
	defer cancel()

	s.metrics.inflight.Inc()
	s.metrics.waiting.Inc()
	start := time.Now()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		s.metrics.waiting.Dec()
		s.metrics.inflight.Dec()
		s.metrics.acquireWait.Observe(time.Since(start).Seconds())
		return classify(err, ReasonConnectionTimeout), fmt.Errorf("acquire: %w", err)
	}
	var gotServer atomic.Bool
	done := make(chan txResult, 1)
	go func() {
		defer s.metrics.inflight.Dec()
		defer conn.Release()
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
		defer cancel()
		done <- s.runTx(bg, conn, start, &gotServer)
	}()
	select {
	case r := <-done:
		return r.reason, r.err
	case <-ctx.Done():
		if gotServer.Load() {
			return ReasonQueryTimeout, fmt.Errorf("query: %w", ctx.Err())
		}
		return ReasonConnectionTimeout, fmt.Errorf("wait for a server connection: %w", ctx.Err())
	}
}

// abandonTimeout bounds a transaction whose request already timed out; past
// it pgx interrupts the transaction and discards the connection.
const abandonTimeout = 2 * time.Second

// txResult is how a transaction ended: reason is empty on success.
type txResult struct {
	reason string
	err    error
}

// runTx runs the payment transaction on conn, recording the wait for a
// server connection (from start, when the request began) and setting
// gotServer once PgBouncer assigned one.
func (s *Server) runTx(ctx context.Context, conn *pgxpool.Conn, start time.Time, gotServer *atomic.Bool) txResult {
	tx, err := conn.Begin(ctx)
	s.metrics.waiting.Dec()
	s.metrics.acquireWait.Observe(time.Since(start).Seconds())
	if err != nil {
		return txResult{classify(err, ReasonConnectionTimeout), fmt.Errorf("begin: %w", err)}
	}
	gotServer.Store(true)
	if _, err := tx.Exec(ctx, "SELECT pg_sleep($1)", s.cfg.Work.Seconds()); err != nil {
		rollback(tx)
		return txResult{classify(err, ReasonQueryTimeout), fmt.Errorf("query: %w", err)}
	}
	if err := tx.Commit(ctx); err != nil {
		rollback(tx)
		return txResult{classify(err, ReasonQueryTimeout), fmt.Errorf("commit: %w", err)}
	}
	return txResult{}
}

// rollback ends a failed transaction. After a timeout pgx has already closed
// the connection, which the pool then discards; the rollback only matters
// for server-side errors.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// classify maps an error to a reason: timeouts get timeoutReason (which phase
// timed out), everything else is a database error.
func classify(err error, timeoutReason string) string {
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return timeoutReason
	}
	return ReasonDBError
}

// errorClass is the human wording of a reason, used in logs and responses.
func errorClass(reason string) string {
	switch reason {
	case ReasonConnectionTimeout:
		return "connection timeout"
	case ReasonQueryTimeout:
		return "query timeout"
	default:
		return "database error"
	}
}

// sampledLog logs at most one failure per reason per interval and counts the
// rest: under load the demo fails hundreds of times a second, and one line a
// second says as much.
type sampledLog struct {
	logger   *slog.Logger
	interval time.Duration

	mu         sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
}

func newSampledLog(logger *slog.Logger, interval time.Duration) *sampledLog {
	return &sampledLog{logger: logger, interval: interval, last: map[string]time.Time{}, suppressed: map[string]int{}}
}

// log reports err under reason unless one was reported less than interval ago.
func (l *sampledLog) log(reason string, err error) {
	now := time.Now()
	l.mu.Lock()
	if now.Sub(l.last[reason]) < l.interval {
		l.suppressed[reason]++
		l.mu.Unlock()
		return
	}
	n := l.suppressed[reason]
	l.last[reason] = now
	l.suppressed[reason] = 0
	l.mu.Unlock()
	l.logger.Warn("payment failed", "class", errorClass(reason), "reason", reason, "err", err, "similar_since_last", n)
}
