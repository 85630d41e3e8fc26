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

// devOptions are `firebreak dev`'s flags.
type devOptions struct {
	runbookDir, configPath, stateDir, listen, logLevel string
	temporalPort, uiPort                               int
}

// devCommand is `firebreak dev`: an embedded Temporal server persisted
// under -state, a worker and the receiver, in one process. Restarting it on
// the same state carries open incidents on.
func devCommand() command {
	return command{
		synopsis: "run everything in one process on an embedded Temporal server",
		description: "Run an embedded Temporal server (SQLite under -state), a worker and the " +
			"webhook receiver in one process, until interrupted; restarting on the same state " +
			"carries open incidents on. When the config defines no operator blocks (or there is " +
			"no config), a local operator named dev is made, its random token kept in " +
			"-state's operator-token (mode 0600), where approve, deny, ack, pause, resume and " +
			"guardrails find it.",
		flags: func(fs *flag.FlagSet) action {
			var o devOptions
			fs.StringVar(&o.runbookDir, "runbooks", "examples/runbooks", "runbook file or directory (repeat with commas)")
			fs.StringVar(&o.configPath, "config", "", "engine config file (firebreak.hcl); defaults apply when empty")
			fs.StringVar(&o.stateDir, "state", defaultStateDir, "directory for the embedded Temporal server's data, escalation records and the dev operator's token")
			fs.StringVar(&o.listen, "listen", "", "webhook receiver and HTTP API address (default 127.0.0.1:9095, or the config's server.listen)")
			fs.IntVar(&o.temporalPort, "temporal-port", 7233, "embedded Temporal frontend port (0 picks a free one)")
			fs.IntVar(&o.uiPort, "ui-port", 8233, "embedded Temporal Web UI port (0 picks a free one, -1 disables it)")
			fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
			return func(ctx context.Context, _ []string, stdio IO) int { return runDev(ctx, o, stdio) }
		},
	}
}

// runDev runs `firebreak dev` until ctx ends.
func runDev(ctx context.Context, o devOptions, stdio IO) int {
	log := newLogger(stdio.Err, o.logLevel)
	cfg, code := loadConfig(o.configPath, stdio)
	if code != ExitOK {
		return code
	}
	set, code := loadRunbooks(splitPaths(o.runbookDir), stdio)
	if code != ExitOK {
		return code
	}
	if err := os.MkdirAll(o.stateDir, 0o750); err != nil {
		fmt.Fprintf(stdio.Err, "firebreak dev: create state directory: %v\n", err)
		return ExitError
	}
	// With no operator configured, the operator API would refuse every
	// request: make the dev operator, so that the README's commands work.
	devOp := len(cfg.Operators) == 0
	if devOp {
		op, err := devOperator(o.stateDir)
		if err != nil {
			fmt.Fprintf(stdio.Err, "firebreak dev: %v\n", err)
			return ExitError
		}
		cfg.Operators = append(cfg.Operators, op)
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		StateDir:     filepath.Join(o.stateDir, "temporal"),
		Host:         "127.0.0.1",
		FrontendPort: o.temporalPort,
		UIPort:       o.uiPort,
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
	opts.RecordPath = engine.RecordPathIn(o.stateDir)
	opts.UIURL = srv.UIURL()
	if o.listen != "" {
		opts.Listen = o.listen
	}
	eng, err := engine.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak dev: %v\n", err)
		return ExitError
	}
	defer eng.Stop()
	fmt.Fprintf(stdio.Out, "firebreak dev is running (%s from %s)\n", plural(len(set.Runbooks), "runbook", "runbooks"), o.runbookDir)
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
	if devOp {
		fmt.Fprintf(stdio.Out, "  operator:   %s\n", devOperatorBanner(o.stateDir))
	}
	fmt.Fprintf(stdio.Out, "  state:      %s\n", o.stateDir)
	fmt.Fprintf(stdio.Out, "  escalations: %s\n", opts.RecordPath)
	<-ctx.Done()
	fmt.Fprintln(stdio.Out, "firebreak dev: shutting down")
	return ExitOK
}

// devOperatorBanner tells how the operator commands find the dev
// operator's token; never the token itself.
func devOperatorBanner(stateDir string) string {
	path := filepath.Join(stateDir, devTokenFile)
	if filepath.Clean(stateDir) == defaultStateDir {
		return fmt.Sprintf("%s (token in %s; firebreak commands read it from there)", devOperatorName, path)
	}
	return fmt.Sprintf("%s (token in %s; give firebreak commands -state %s)", devOperatorName, path, stateDir)
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
		Metrics:           metrics.NewWithBuild(buildInfo()),
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
