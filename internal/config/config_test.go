package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadFull(t *testing.T) {
	path := filepath.Join("testdata", "full", "firebreak.hcl")
	cfg, diags := Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "full"))
	want := &Config{
		Filename:   path,
		Temporal:   Temporal{Address: "temporal.internal:7233", Namespace: "ops", TaskQueue: "firebreak-prod"},
		Server:     Server{Listen: ":9095", Token: NewSecret("s3cret-token"), MaxBodyBytes: 262144},
		Prometheus: Prometheus{URL: "https://prometheus.internal:9090", Timeout: 5 * time.Second},
		Secrets:    Secrets{Dir: filepath.Join(dir, "secrets"), EnvPrefix: "FB_"},
		Guardrails: Guardrails{DryRun: true, Paused: true, MaxConcurrent: 4, Storm: Storm{
			Enabled: true, Incidents: 12, Window: 2 * time.Minute, Quiet: 15 * time.Minute, PageHold: time.Minute,
			SlackChannel: "#incidents", PagerDuty: true, PagerDutyService: "platform",
		}},
		Incidents: Incidents{Linger: 30 * time.Minute},
		Worker: Worker{StickyCacheSize: 250, MaxConcurrentWorkflowTasks: 50, MaxConcurrentActivities: 20,
			WorkflowPollers: 3, ActivityPollers: 2},
		Slack: Slack{BotToken: NewSecret("xoxb-full-config-bot"), SigningSecret: NewSecret("full-config-signing-secret")},
		PagerDuty: PagerDuty{
			RoutingKey: NewSecret("default-routing-key-0000000000000"),
			Services:   map[string]Secret{"platform": NewSecret("platform-routing-key-00000000000")},
		},
		Kubernetes: &Kubernetes{Kubeconfig: filepath.Join(filepath.Dir(dir), "kubeconfig"), Context: "prod", QPS: 7.5, Burst: 15},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", *cfg, *want)
	}
	if cfg.Server.Token.Value() != "s3cret-token" {
		t.Errorf("token file not trimmed: %q", cfg.Server.Token.Value())
	}
}

func TestLoadEmptyIsDefault(t *testing.T) {
	cfg, diags := Load(filepath.Join("testdata", "empty.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg.Filename = ""
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("got %+v, want defaults %+v", *cfg, *Default())
	}
	d := Default()
	if d.Server.Listen != "127.0.0.1:9095" || d.Temporal.Address != "127.0.0.1:7233" || d.Temporal.Namespace != "default" ||
		d.Temporal.TaskQueue != "firebreak" || d.Server.MaxBodyBytes != 1<<20 || d.Incidents.Linger != time.Hour ||
		d.Secrets.EnvPrefix != "FIREBREAK_SECRET_" || d.Server.Token.IsSet() || d.Kubernetes != nil ||
		d.Guardrails.MaxConcurrent != 10 || d.Guardrails.Storm != (Storm{Enabled: true, Incidents: 20, Window: 5 * time.Minute, Quiet: 5 * time.Minute, PageHold: 30 * time.Second}) {
		t.Errorf("defaults: %+v", d)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, summary string
		line               int
	}{
		{"unknown block", "grafana {\n}\n", "Unsupported block type", 1},
		{"slack without bot token", "slack {\n  signing_secret = \"x\"\n}\n", "Missing bot_token", 1},
		{"slack without signing secret", "slack {\n  bot_token = \"xoxb-1\"\n}\n", "Missing signing_secret", 1},
		{"pagerduty without key", "pagerduty {\n}\n", "Missing routing_key", 1},
		{"pagerduty service without key", "pagerduty {\n  service \"payments\" {\n  }\n}\n", "Missing routing_key", 2},
		{"operator weak token", "operator \"alice\" {\n  token = \"short\"\n}\n", "Weak token", 1},
		{"operator bad name", "operator \"Alice Smith\" {\n  token = \"0123456789abcdef0\"\n}\n", "Invalid operator name", 1},
		{"unknown attribute", "server {\n  port = 9095\n}\n", "Unsupported argument", 2},
		{"duplicate block", "server {}\nserver {}\n", "Duplicate server block", 2},
		{"bad listen", "server {\n  listen = \"localhost\"\n}\n", "Invalid address", 2},
		{"bad port", "server {\n  listen = \"127.0.0.1:99999\"\n}\n", "Invalid address", 2},
		{"temporal without host", "temporal {\n  address = \":7233\"\n}\n", "Invalid address", 2},
		{"token and file", "server {\n  token = \"a\"\n  token_file = \"b\"\n}\n", "Conflicting token settings", 2},
		{"missing token file", "server {\n  token_file = \"nope\"\n}\n", "Cannot read token_file", 2},
		{"bad body", "server {\n  max_body_bytes = 0\n}\n", "Invalid max_body_bytes", 2},
		{"bad url", "prometheus {\n  url = \"localhost:9090\"\n}\n", "Invalid URL", 2},
		{"url credentials", "prometheus {\n  url = \"http://u:p@prom:9090\"\n}\n", "Invalid URL", 2},
		{"bad timeout", "prometheus {\n  timeout = \"10\"\n}\n", "Invalid duration", 2},
		{"zero timeout", "prometheus {\n  timeout = \"0s\"\n}\n", "Invalid duration", 2},
		{"bad linger", "incidents {\n  linger = \"-1h\"\n}\n", "Invalid duration", 2},
		{"bad prefix", "secrets {\n  env_prefix = \"FB-\"\n}\n", "Invalid env_prefix", 2},
		{"empty namespace", "temporal {\n  namespace = \"\"\n}\n", "Empty namespace", 2},
		{"wrong type", "guardrails {\n  dry_run = \"maybe\"\n}\n", "Unsuitable value type", 2},
		{"variables", "temporal {\n  namespace = env.NS\n}\n", "Variables not allowed", 2},
		{"syntax", "server {\n  listen = \n}\n", "Invalid expression", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := Parse(filepath.Join(t.TempDir(), "firebreak.hcl"), []byte(tt.src))
			if cfg != nil {
				t.Errorf("Parse returned a config despite errors")
			}
			for _, d := range diags {
				if strings.Contains(d.Summary, tt.summary) && d.Subject != nil && d.Subject.Start.Line == tt.line {
					return
				}
			}
			t.Errorf("want %q on line %d, got %v", tt.summary, tt.line, diags)
		})
	}
}

func TestTokenInline(t *testing.T) {
	cfg, diags := Parse("firebreak.hcl", []byte("server {\n  token = \"abc\"\n}\n"))
	if diags.HasErrors() || cfg.Server.Token.Value() != "abc" {
		t.Fatalf("%v %+v", diags, cfg)
	}
}

func TestSecretRedaction(t *testing.T) {
	s := NewSecret("hunter2")
	cfg := Default()
	cfg.Server.Token = s
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg, "token", s)
	for name, out := range map[string]string{
		"%v":   fmt.Sprintf("%v", cfg),
		"%+v":  fmt.Sprintf("%+v", cfg),
		"%#v":  fmt.Sprintf("%#v", cfg),
		"%s":   fmt.Sprintf("token=%s", s),
		"json": string(js),
		"slog": logged.String(),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "redacted") {
			t.Errorf("%s does not show the placeholder: %s", name, out)
		}
	}
	if NewSecret("").String() != "" {
		t.Errorf("unset secret should print empty")
	}
}

func TestParseHumans(t *testing.T) {
	src := `
slack {
  bot_token      = "xoxb-secret-bot"
  signing_secret = "signing-secret-value"
}
pagerduty {
  routing_key = "default-routing-key-0000000000000"
  service "payments" {
    routing_key = "payments-routing-key-00000000000"
  }
}
operator "alice" {
  token = "alice-operator-token-0123"
}
`
	cfg, diags := Parse("firebreak.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if !cfg.Slack.Enabled() || cfg.Slack.SigningSecret.Value() != "signing-secret-value" {
		t.Errorf("slack = %+v", cfg.Slack)
	}
	if !cfg.PagerDuty.Enabled() || cfg.PagerDuty.Services["payments"].Value() != "payments-routing-key-00000000000" {
		t.Errorf("pagerduty = %+v", cfg.PagerDuty)
	}
	if len(cfg.Operators) != 1 || cfg.Operators[0].Name != "alice" || cfg.Operators[0].Token.Value() != "alice-operator-token-0123" {
		t.Errorf("operators = %+v", cfg.Operators)
	}
	printed := fmt.Sprintf("%+v %#v", cfg, cfg)
	for _, secret := range []string{"xoxb-secret-bot", "signing-secret-value", "default-routing-key", "payments-routing-key", "alice-operator-token"} {
		if strings.Contains(printed, secret) {
			t.Errorf("printing the config leaks %q", secret)
		}
	}
}
