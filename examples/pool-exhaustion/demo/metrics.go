package demo

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Error reasons, the values of demo_request_errors_total's reason label. The
// runbook keys its diagnosis on reasonConnectionTimeout: it is the symptom a
// bigger PgBouncer pool cures, while the others are not.
const (
	// ReasonConnectionTimeout: the deadline passed before PgBouncer gave the
	// request a server connection (acquire + BEGIN did not finish).
	ReasonConnectionTimeout = "connection_timeout"
	// ReasonQueryTimeout: the request had a server connection but the
	// transaction did not finish before the deadline.
	ReasonQueryTimeout = "query_timeout"
	// ReasonDBError: the database or the pooler answered with an error.
	ReasonDBError = "db_error"
)

// metrics are the demo's own series. They live in a private registry so that
// /metrics shows exactly what the scenario's alert rule and runbook query,
// and tests can start several servers in one process.
type metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec // by HTTP status code
	errors       *prometheus.CounterVec // by reason
	duration     prometheus.Histogram   // whole request, including the wait
	acquireWait  prometheus.Histogram   // until PgBouncer assigned a server
	inflight     prometheus.Gauge       // requests inside their DB transaction or waiting for it
	waiting      prometheus.Gauge       // requests that have not got a server connection yet
	poolMaxConns prometheus.Gauge       // the client-side pool's size, to show it is not the limit
}

// newMetrics registers the demo's series, each carrying service as a constant
// label: the alert rule and the runbook select on service, and a constant
// label keeps that true whichever Prometheus scrapes the demo.
func newMetrics(service string, maxConns int32) *metrics {
	constLabels := prometheus.Labels{"service": service}
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "demo_requests_total",
			Help:        "Payment requests served, by HTTP status code.",
			ConstLabels: constLabels,
		}, []string{"code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "demo_request_errors_total",
			Help:        "Failed payment requests, by reason (connection_timeout, query_timeout, db_error).",
			ConstLabels: constLabels,
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:        "demo_request_duration_seconds",
			Help:        "Time to serve a payment request, including the wait for a database connection.",
			ConstLabels: constLabels,
			Buckets:     []float64{.005, .01, .02, .03, .05, .075, .1, .15, .25, .5, 1},
		}),
		acquireWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "demo_db_acquire_wait_seconds",
			Help: "Time until PgBouncer assigned a server connection (pool acquire plus BEGIN); " +
				"requests that timed out while waiting are observed at their timeout.",
			ConstLabels: constLabels,
			Buckets:     []float64{.0005, .001, .0025, .005, .01, .025, .05, .075, .1, .25},
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "demo_db_inflight",
			Help:        "Requests currently inside a database transaction or waiting for a connection.",
			ConstLabels: constLabels,
		}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "demo_db_waiting",
			Help:        "Requests currently waiting for PgBouncer to assign a server connection.",
			ConstLabels: constLabels,
		}),
		poolMaxConns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "demo_db_client_pool_max_conns",
			Help:        "Size of the demo's own (client-side) connection pool to PgBouncer.",
			ConstLabels: constLabels,
		}),
	}
	m.registry.MustRegister(m.requests, m.errors, m.duration, m.acquireWait, m.inflight, m.waiting, m.poolMaxConns)
	m.poolMaxConns.Set(float64(maxConns))
	// Pre-create the series the rule and runbook divide by, so a rate over
	// them exists from the first scrape instead of appearing with the first
	// failure.
	for _, code := range []string{"200", "500", "503"} {
		m.requests.WithLabelValues(code)
	}
	for _, r := range []string{ReasonConnectionTimeout, ReasonQueryTimeout, ReasonDBError} {
		m.errors.WithLabelValues(r)
	}
	return m
}
