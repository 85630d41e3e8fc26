// Package config reads firebreak.hcl, the engine configuration: where
// Temporal and Prometheus are, where the webhook listens, where secrets come
// from, which Kubernetes cluster to act on, and the global guardrails. Decoding is strict (an unknown key is an
// error, not a silently ignored typo), defaults and validation live in one
// place, and credentials are Secret values that never print.
package config

import (
	"time"
)

// Config is the engine configuration with defaults applied and validated.
type Config struct {
	Filename   string     // the file it was read from; "" for Default()
	Temporal   Temporal   // the Temporal cluster to use
	Server     Server     // the webhook receiver and HTTP API
	Prometheus Prometheus // the Prometheus that diagnose and verify query
	Secrets    Secrets    // where secret("name") is resolved
	Guardrails Guardrails // global switches over every runbook
	Incidents  Incidents  // incident lifecycle
	Worker     Worker     // Temporal worker tuning: memory and concurrency
	Slack      Slack      // incident threads and approval buttons; optional
	PagerDuty  PagerDuty  // paging; optional
	Operators  []Operator // who may answer approvals and pause automation without Slack
	// Kubernetes is the cluster Kubernetes diagnoses and actions use; nil
	// when there is none, and those then fail as not configured.
	Kubernetes *Kubernetes
}

// Temporal says which Temporal cluster, namespace and task queue to use.
type Temporal struct {
	Address   string // frontend host:port
	Namespace string // namespace holding firebreak's workflows
	TaskQueue string // task queue workers poll and workflows start on
}

// Server configures the webhook receiver.
type Server struct {
	Listen       string // host:port to listen on
	Token        Secret // bearer token Alertmanager must send; unset means no authentication
	MaxBodyBytes int64  // larger webhook bodies are refused with 413
}

// Prometheus configures the Prometheus HTTP API client.
type Prometheus struct {
	URL     string        // base URL; "" means diagnoses and verification are unavailable
	Timeout time.Duration // per-query timeout
}

// Secrets says where secret("name") is looked up: a file named name in Dir,
// then the environment variable EnvPrefix+NAME.
type Secrets struct {
	Dir       string // absolute, or "" for no directory
	EnvPrefix string // prefix of secret environment variables
}

// Incidents configures the incident lifecycle.
type Incidents struct {
	// Linger is how long an incident stays open after its outcome, waiting
	// for the alert to resolve, so that repeats of the same alert join it
	// instead of starting a new remediation.
	Linger time.Duration
}

// Defaults, in one place, as documented in docs/configuration.md.
const (
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
	DefaultTaskQueue         = "firebreak"
	DefaultListen            = "127.0.0.1:9095"
	DefaultMaxBodyBytes      = 1 << 20
	DefaultPrometheusTimeout = 10 * time.Second
	DefaultSecretsEnvPrefix  = "FIREBREAK_SECRET_"
	DefaultLinger            = time.Hour
)

// Default returns the configuration used when there is no firebreak.hcl,
// which is also what every omitted setting falls back to.
func Default() *Config {
	return &Config{
		Temporal: Temporal{
			Address:   DefaultTemporalAddress,
			Namespace: DefaultTemporalNamespace,
			TaskQueue: DefaultTaskQueue,
		},
		Server: Server{
			Listen:       DefaultListen,
			MaxBodyBytes: DefaultMaxBodyBytes,
		},
		Prometheus: Prometheus{Timeout: DefaultPrometheusTimeout},
		Secrets:    Secrets{EnvPrefix: DefaultSecretsEnvPrefix},
		Incidents:  Incidents{Linger: DefaultLinger},
		Worker:     DefaultWorker(),
		Guardrails: Guardrails{
			MaxConcurrent: DefaultMaxConcurrent,
			Storm: Storm{
				Enabled:   true,
				Incidents: DefaultStormIncidents,
				Window:    DefaultStormWindow,
				Quiet:     DefaultStormWindow,
				PageHold:  DefaultStormPageHold,
			},
		},
	}
}
