// Package engine assembles a running firebreak: the webhook receiver and its
// HTTP endpoints, and the Temporal worker with every workflow and activity.
// `firebreak dev` and `firebreak serve` both run it; they differ only in
// where the Temporal server comes from.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/grpc"
	"k8s.io/client-go/kubernetes"

	"github.com/firebreak-dev/firebreak/activities"
	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/integrations/prometheus"
	"github.com/firebreak-dev/firebreak/integrations/slack"
	"github.com/firebreak-dev/firebreak/internal/approvals"
	"github.com/firebreak-dev/firebreak/internal/guard"
	"github.com/firebreak-dev/firebreak/internal/intake"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/internal/operator"
	"github.com/firebreak-dev/firebreak/internal/secrets"
	"github.com/firebreak-dev/firebreak/remediate"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// Roles a process can take.
const (
	RoleAll      = "all"
	RoleReceiver = "receiver"
	RoleWorker   = "worker"
)

// Options configure an engine. cli fills them from flags and firebreak.hcl.
type Options struct {
	Role string

	TemporalAddress string
	Namespace       string
	TaskQueue       string

	Listen  string
	Token   string
	MaxBody int64

	Runbooks *runbooks.Set

	PrometheusURL     string
	PrometheusTimeout time.Duration
	Secrets           secrets.Source
	// Kube is the cluster Kubernetes diagnoses and actions use; nil when
	// none is configured, and those then fail as not configured.
	Kube kubernetes.Interface

	Settings workflows.Settings
	// Worker tunes the Temporal worker; zero fields keep the SDK defaults.
	Worker WorkerTuning
	// RecordPath is where escalation records are appended ("" = log only).
	RecordPath string
	// UIURL is the Temporal Web UI's base URL, for timeline links.
	UIURL string
	// Chat and Pager are the Slack and PagerDuty integrations, built
	// complete by the caller and never changed here; nil when not
	// configured. Timeline links reach Slack in each activity's input.
	Chat  *escalate.SlackChat
	Pager escalate.Pager
	// Slack, when set, serves POST /slack/interactions (and Socket Mode
	// when it has an app token) for approval buttons.
	Slack *slack.Client
	// SocketMode runs Slack's Socket Mode instead of (or besides) the HTTP
	// interactivity endpoint.
	SocketMode bool
	// Operators may answer approvals and pause or resume automation
	// through the HTTP API.
	Operators []approvals.Operator

	Log *slog.Logger
	// Metrics, when set, is where the engine counts; nil makes a new set.
	Metrics *metrics.Metrics
	// Ready, when set, is called once the HTTP listener is bound, with its address.
	Ready func(listenAddr string)
}

// WorkerTuning bounds the Temporal worker's memory and concurrency (the
// worker block of firebreak.hcl). A zero field keeps the SDK's default.
type WorkerTuning struct {
	// StickyCacheSize is how many workflows stay in memory between tasks,
	// process-wide; it takes effect when no other worker in the process
	// is running. Negative means none: every task replays its history.
	StickyCacheSize            int
	MaxConcurrentWorkflowTasks int
	MaxConcurrentActivities    int
	WorkflowPollers            int
	ActivityPollers            int
}

// Engine is a running receiver and/or worker.
type Engine struct {
	opts    Options
	client  client.Client
	worker  worker.Worker
	intake  *intake.Handler
	metrics *metrics.Metrics
	srv     *http.Server
	ln      net.Listener

	approvals *approvals.Service
	guard     *guard.Service
	stopBg    context.CancelFunc
}

// Start connects to Temporal, starts the worker and binds the HTTP listener.
// The Temporal client is lazy: a receiver whose Temporal is down still
// starts and answers 503, so Alertmanager keeps retrying.
func Start(ctx context.Context, o Options) (*Engine, error) {
	if o.Role == "" {
		o.Role = RoleAll
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Runbooks == nil {
		o.Runbooks = &runbooks.Set{}
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	e := &Engine{opts: o, metrics: o.Metrics}
	c, err := client.NewLazyClient(client.Options{
		HostPort:  o.TemporalAddress,
		Namespace: o.Namespace,
		Logger:    newTemporalLogger(o.Log),
		// Always, whatever the role: without it the webhook answer cannot
		// tell a new incident ("started") from a repeat ("signalled"); the
		// SDK drops the flag that says which.
		ConnectionOptions: client.ConnectionOptions{
			DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(intake.StartedInterceptor())},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("temporal client for %s: %w", o.TemporalAddress, err)
	}
	e.client = c
	if o.Role == RoleAll || o.Role == RoleWorker {
		if err := e.startWorker(); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := e.startHTTP(); err != nil {
		e.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Engine) startWorker() error {
	o := e.opts
	var prom diagnose.PromQuerier
	if o.PrometheusURL != "" {
		pc, err := prometheus.New(o.PrometheusURL, o.PrometheusTimeout)
		if err != nil {
			return fmt.Errorf("prometheus client: %w", err)
		}
		prom = pc
	}
	switch t := o.Worker; {
	case t.StickyCacheSize > 0:
		worker.SetStickyWorkflowCacheSize(t.StickyCacheSize)
	case t.StickyCacheSize < 0:
		worker.SetStickyWorkflowCacheSize(0)
	}
	w := worker.New(e.client, o.TaskQueue, worker.Options{
		MaxConcurrentWorkflowTaskExecutionSize: o.Worker.MaxConcurrentWorkflowTasks,
		MaxConcurrentActivityExecutionSize:     o.Worker.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskPollers:       o.Worker.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:       o.Worker.ActivityPollers,
	})
	workflows.Register(w)
	record := &escalate.RecordSink{Path: o.RecordPath, Log: o.Log}
	esc := &escalate.Activities{Record: record, Pager: o.Pager, Log: o.Log}
	if o.Chat != nil {
		esc.Threads, esc.Approvals = o.Chat, o.Chat
	}
	activities.Register(w, activities.Set{
		Diagnose:  &diagnose.Activities{Prom: prom, Log: o.Log},
		Remediate: &remediate.Activities{Secrets: o.Secrets, Log: o.Log, Timeout: 10 * time.Second},
		Escalate:  esc,
		Recorder:  &workflows.Recorder{Metrics: e.metrics},
		Permits:   &workflows.Permits{Client: e.client, TaskQueue: o.TaskQueue},
		// Always registered: without a cluster they fail as not configured.
		KubeDiagnose:  &diagnose.KubeActivities{Client: o.Kube, Log: o.Log},
		KubeRemediate: &remediate.KubeActivities{Client: o.Kube, Log: o.Log},
	})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", o.TaskQueue, err)
	}
	e.worker = w
	return nil
}

func (e *Engine) startHTTP() error {
	o := e.opts
	mux := http.NewServeMux()
	if o.Role == RoleAll || o.Role == RoleReceiver {
		e.intake = intake.New(o.Runbooks, intake.Options{
			Temporal: e.client, TaskQueue: o.TaskQueue, Token: o.Token, MaxBody: o.MaxBody,
			Settings: o.Settings, Log: o.Log, Metrics: e.metrics, TimelineURL: e.TimelineURL,
		})
		mux.Handle("/webhook/alertmanager", e.intake)
		var groups approvals.Approvers
		if o.Slack != nil {
			groups = o.Slack
		}
		e.approvals = approvals.New(e.client, groups, o.Log, e.metrics)
		e.guard = guard.New(e.client, guard.Options{TaskQueue: o.TaskQueue, Settings: o.Settings.Control, Log: o.Log})
		mux.Handle(operator.Prefix, operator.New(operator.Options{
			Operators: o.Operators, Decider: e.approvals, Switch: e.guard, Log: o.Log, Metrics: e.metrics,
		}))
		if o.Slack != nil {
			mux.Handle("/slack/interactions", o.Slack.InteractionHandler(e.approvals.SlackDecider()))
		}
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", e.ready)
	mux.Handle("/metrics", promhttp.HandlerFor(e.metrics.Registry, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Listen, err)
	}
	e.ln = ln
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	go func() {
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Log.Error("http server stopped", "err", err)
		}
	}()
	if o.Slack != nil && o.SocketMode && e.approvals != nil {
		ctx, cancel := context.WithCancel(context.Background())
		e.stopBg = cancel
		go func() {
			if err := o.Slack.RunSocketMode(ctx, e.approvals.SlackDecider()); err != nil && ctx.Err() == nil {
				o.Log.Error("slack socket mode stopped", "err", err)
			}
		}()
	}
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	return nil
}

// ready answers 200 when Temporal answers and runbooks are loaded.
func (e *Engine) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if _, err := e.client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		http.Error(w, "temporal unreachable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if e.intake != nil && len(e.intake.Runbooks().Runbooks) == 0 {
		http.Error(w, "no runbooks loaded", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// TimelineURL links an incident's history in the Temporal Web UI, or
// returns "" when no UI URL is known.
func (e *Engine) TimelineURL(incidentID string) string {
	if e.opts.UIURL == "" {
		return ""
	}
	return strings.TrimRight(e.opts.UIURL, "/") + "/namespaces/" + url.PathEscape(e.opts.Namespace) + "/workflows/" + url.PathEscape(incidentID)
}

// Addr is the HTTP listener's address.
func (e *Engine) Addr() string { return e.ln.Addr().String() }

// Client is the engine's Temporal client.
func (e *Engine) Client() client.Client { return e.client }

// Guard is the kill switch service, or nil for a worker-only engine.
func (e *Engine) Guard() *guard.Service { return e.guard }

// Metrics is the engine's metrics.
func (e *Engine) Metrics() *metrics.Metrics { return e.metrics }

// SetRunbooks swaps the runbooks new alerts are matched against.
func (e *Engine) SetRunbooks(set *runbooks.Set) {
	if e.intake != nil {
		e.intake.SetRunbooks(set)
	}
}

// Stop shuts the HTTP server down (finishing requests in flight), then the
// worker, then the client.
func (e *Engine) Stop() {
	if e.stopBg != nil {
		e.stopBg()
	}
	if e.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = e.srv.Shutdown(ctx)
		cancel()
	}
	if e.worker != nil {
		e.worker.Stop()
	}
	if e.client != nil {
		e.client.Close()
	}
}

// RecordPathIn is the escalation record file under a state directory.
func RecordPathIn(stateDir string) string { return filepath.Join(stateDir, "escalations.jsonl") }

// SlackRefusals counts refused Slack requests (forged, replayed, malformed)
// in the engine's refusal metric.
type SlackRefusals struct{ Metrics *metrics.Metrics }

// Refused implements slack.Counter.
func (c SlackRefusals) Refused(reason string) {
	c.Metrics.Refusals.WithLabelValues("slack_" + reason).Inc()
}
