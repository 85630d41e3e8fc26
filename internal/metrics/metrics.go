// Package metrics defines the engine's own Prometheus metrics, so that an
// operator can alert on firebreak itself: refused webhooks, incidents by
// outcome, actions by result, and how fast automation acts and resolves.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector the engine updates. One instance per process.
type Metrics struct {
	Registry *prometheus.Registry

	WebhookRequests *prometheus.CounterVec   // by HTTP code
	Refusals        *prometheus.CounterVec   // by reason: why a request or an alert was refused
	Alerts          *prometheus.CounterVec   // by result: started, signalled, resolved, no_open_incident, unmatched, delivered
	IntakeDuration  prometheus.Histogram     // webhook request handling time
	Incidents       *prometheus.CounterVec   // by runbook and outcome
	Actions         *prometheus.CounterVec   // by kind and result
	AlertToAction   *prometheus.HistogramVec // alert start to first action, by runbook
	AlertToResolved *prometheus.HistogramVec // alert start to resolved outcome, by runbook
}

// New registers the engine's collectors, plus Go and process collectors and
// firebreak_build_info for the running binary, on a fresh registry.
func New() *Metrics { return NewWithBuild(ReadBuild("")) }

// NewWithBuild is New with the build firebreak_build_info reports: the
// CLI's, which knows the version set at link time.
func NewWithBuild(b Build) *Metrics {
	reg := prometheus.NewRegistry()
	buckets := []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600}
	m := &Metrics{
		Registry: reg,
		WebhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firebreak_webhook_requests_total",
			Help: "Alertmanager webhook requests by HTTP answer code.",
		}, []string{"code"}),
		Refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firebreak_refusals_total",
			Help: "Requests or inputs refused, by reason.",
		}, []string{"reason"}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firebreak_alerts_total",
			Help: "Alerts received, by what intake did with them.",
		}, []string{"result"}),
		IntakeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "firebreak_webhook_duration_seconds",
			Help:    "Time to answer a webhook request, durable writes included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		Incidents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firebreak_incidents_total",
			Help: "Incidents that reached an outcome, by runbook and outcome.",
		}, []string{"runbook", "outcome"}),
		Actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firebreak_actions_total",
			Help: "Remediation actions, by kind and result (applied, unchanged, dry_run, failed).",
		}, []string{"kind", "result"}),
		AlertToAction: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "firebreak_alert_to_first_action_seconds",
			Help:    "Time from the alert's start to the incident's first action.",
			Buckets: buckets,
		}, []string{"runbook"}),
		AlertToResolved: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "firebreak_alert_to_resolution_seconds",
			Help:    "Time from the alert's start to a resolved outcome.",
			Buckets: buckets,
		}, []string{"runbook"}),
	}
	reg.MustRegister(m.WebhookRequests, m.Refusals, m.Alerts, m.IntakeDuration,
		m.Incidents, m.Actions, m.AlertToAction, m.AlertToResolved, buildInfo(b),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
