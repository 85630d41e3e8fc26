package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
	"github.com/firebreak-dev/firebreak/integrations/slack"
	"github.com/firebreak-dev/firebreak/internal/approvals"
	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/internal/devserver"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/kubeclient"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// runDev is `firebreak dev`: an embedded Temporal server persisted under
// --state, a worker and the receiver, in one process. Restarting it on the
// same state carries open incidents on.
func runDev(ctx context.Context, args []string, stdio IO) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	runbookDir := fs.String("runbooks", "examples/runbooks", "runbook file or directory (repeat with commas)")
	configPath := fs.String("config", "", "engine config file (firebreak.hcl); defaults apply when empty")
	stateDir := fs.String("state", ".firebreak", "directory for the embedded Temporal server's data and escalation records")
	listen := fs.String("listen", "", "webhook receiver and HTTP API address (default 127.0.0.1:9095, or the config's server.listen)")
	temporalPort := fs.Int("temporal-port", 7233, "embedded Temporal frontend port (0 picks a free one)")
	uiPort := fs.Int("ui-port", 8233, "embedded Temporal Web UI port (0 picks a free one, -1 disables it)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return ExitError
	}
	log := newLogger(stdio.Err, *logLevel)
	cfg, code := loadConfig(*configPath, stdio)
	if code != ExitOK {
		return code
	}
	set, code := loadRunbooks(splitPaths(*runbookDir), stdio)
	if code != ExitOK {
		return code
	}
	if err := os.MkdirAll(*stateDir, 0o750); err != nil {
		fmt.Fprintf(stdio.Err, "firebreak dev: create state directory: %v\n", err)
		return ExitError
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		StateDir:     filepath.Join(*stateDir, "temporal"),
		Host:         "127.0.0.1",
		FrontendPort: *temporalPort,
		UIPort:       *uiPort,
		Namespace:    cfg.Temporal.Namespace,
		Logger:       log,
	})
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak dev: start embedded temporal: %v\n", err)
		return ExitError
	}
	defer srv.Stop()

	opts, cluster, err := engineOptions(cfg, set, log)
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak dev: %v\n", err)
		return ExitError
	}
	opts.TemporalAddress = srv.FrontendAddr()
	opts.Namespace = srv.Namespace()
	opts.RecordPath = engine.RecordPathIn(*stateDir)
	opts.UIURL = srv.UIURL()
	if *listen != "" {
		opts.Listen = *listen
	}
	eng, err := engine.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak dev: %v\n", err)
		return ExitError
	}
	defer eng.Stop()
	fmt.Fprintf(stdio.Out, "firebreak dev is running (%d runbooks from %s)\n", len(set.Runbooks), *runbookDir)
	fmt.Fprintf(stdio.Out, "  webhook:    POST http://%s/webhook/alertmanager\n", eng.Addr())
	fmt.Fprintf(stdio.Out, "  metrics:    http://%s/metrics\n", eng.Addr())
	fmt.Fprintf(stdio.Out, "  temporal:   %s (namespace %s, task queue %s)\n", srv.FrontendAddr(), srv.Namespace(), opts.TaskQueue)
	if u := srv.UIURL(); u != "" {
		fmt.Fprintf(stdio.Out, "  web ui:     %s\n", u)
	}
	if cluster != nil {
		fmt.Fprintf(stdio.Out, "  kubernetes: %s\n", cluster)
	} else {
		fmt.Fprintln(stdio.Out, "  kubernetes: none configured (Kubernetes diagnoses and actions fail as not configured)")
	}
	fmt.Fprintf(stdio.Out, "  guardrails: %s\n", guardrailsSummary(cfg.Guardrails))
	fmt.Fprintf(stdio.Out, "  state:      %s\n", *stateDir)
	fmt.Fprintf(stdio.Out, "  escalations: %s\n", opts.RecordPath)
	<-ctx.Done()
	fmt.Fprintln(stdio.Out, "firebreak dev: shutting down")
	return ExitOK
}

// engineOptions turns the engine config into engine options, building the
// Kubernetes, Slack and PagerDuty clients it configures. It returns which
// cluster the Kubernetes client talks to, or nil when there is none.
func engineOptions(cfg *config.Config, set *runbooks.Set, log *slog.Logger) (engine.Options, *kubeclient.Cluster, error) {
	o := engine.Options{
		TemporalAddress:   cfg.Temporal.Address,
		Namespace:         cfg.Temporal.Namespace,
		TaskQueue:         cfg.Temporal.TaskQueue,
		Listen:            cfg.Server.Listen,
		Token:             cfg.Server.Token.Value(),
		MaxBody:           cfg.Server.MaxBodyBytes,
		Runbooks:          set,
		PrometheusURL:     cfg.Prometheus.URL,
		PrometheusTimeout: cfg.Prometheus.Timeout,
		Log:               log,
		Metrics:           metrics.New(),
	}
	o.Secrets.Dir, o.Secrets.EnvPrefix = cfg.Secrets.Dir, cfg.Secrets.EnvPrefix
	o.Settings.DryRun = cfg.Guardrails.DryRun
	o.Settings.Paused = cfg.Guardrails.Paused
	o.Settings.Linger = cfg.Incidents.Linger
	o.Settings.Control = controlSettings(cfg.Guardrails)
	o.Worker = workerTuning(cfg.Worker)
	var cluster *kubeclient.Cluster
	if cfg.Kubernetes != nil {
		kube, cl, err := kubeclient.New(*cfg.Kubernetes)
		if err != nil {
			return o, nil, fmt.Errorf("kubernetes: %w", err)
		}
		o.Kube, cluster = kube, &cl
		log.Info("kubernetes cluster", "in_cluster", cl.InCluster, "context", cl.Context, "server", cl.Server)
	}
	for _, op := range cfg.Operators {
		o.Operators = append(o.Operators, approvals.Operator{Name: op.Name, Token: op.Token.Value()})
	}
	if cfg.Slack.Enabled() {
		sc, err := slack.New(slack.Config{
			BotToken: cfg.Slack.BotToken.Value(), SigningSecret: cfg.Slack.SigningSecret.Value(),
			AppToken: cfg.Slack.AppToken.Value(), APIURL: cfg.Slack.APIURL,
		}, log, slack.WithCounter(engine.SlackRefusals{Metrics: o.Metrics}))
		if err != nil {
			return o, nil, fmt.Errorf("slack: %w", err)
		}
		o.Slack = sc
		o.SocketMode = cfg.Slack.AppToken.IsSet()
		o.Chat = &escalate.SlackChat{Client: sc}
	}
	if cfg.PagerDuty.Enabled() {
		pd := &escalate.PagerDutyPager{Services: map[string]*pagerduty.Client{}}
		mk := func(key config.Secret) (*pagerduty.Client, error) {
			return pagerduty.New(pagerduty.Config{RoutingKey: key.Value(), EventsURL: cfg.PagerDuty.EventsURL}, log)
		}
		if cfg.PagerDuty.RoutingKey.IsSet() {
			c, err := mk(cfg.PagerDuty.RoutingKey)
			if err != nil {
				return o, nil, fmt.Errorf("pagerduty: %w", err)
			}
			pd.Default = c
		}
		for name, key := range cfg.PagerDuty.Services {
			c, err := mk(key)
			if err != nil {
				return o, nil, fmt.Errorf("pagerduty service %q: %w", name, err)
			}
			pd.Services[name] = c
		}
		o.Pager = pd
	}
	return o, cluster, nil
}

// guardrailsSummary says in one line what the configured guardrails do.
func guardrailsSummary(g config.Guardrails) string {
	var parts []string
	if g.DryRun {
		parts = append(parts, "dry run")
	}
	if g.Paused {
		parts = append(parts, "paused by config")
	}
	if g.MaxConcurrent > 0 {
		parts = append(parts, fmt.Sprintf("at most %d remediations at once", g.MaxConcurrent))
	} else {
		parts = append(parts, "no cap on concurrent remediations")
	}
	if g.Storm.Enabled && g.Storm.Incidents > 0 {
		parts = append(parts, fmt.Sprintf("storm over %d incidents in %s", g.Storm.Incidents, g.Storm.Window))
	} else {
		parts = append(parts, "storm detection off")
	}
	return strings.Join(parts, ", ")
}

func loadConfig(path string, stdio IO) (*config.Config, int) {
	if path == "" {
		return config.Default(), ExitOK
	}
	cfg, diags := config.Load(path)
	if diags.HasErrors() {
		writeDiags(stdio.Err, diags)
		return nil, ExitFinding
	}
	return cfg, ExitOK
}

func loadRunbooks(paths []string, stdio IO) (*runbooks.Set, int) {
	set, _, diags := runbooks.LoadPaths(paths...)
	if len(diags) > 0 {
		writeDiags(stdio.Err, diags)
	}
	if diags.HasErrors() {
		return nil, ExitFinding
	}
	return set, ExitOK
}

func splitPaths(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func newLogger(w interface{ Write([]byte) (int, error) }, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
