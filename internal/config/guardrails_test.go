package config

import (
	"testing"
	"time"
)

func TestGuardrails(t *testing.T) {
	const pd = `
pagerduty {
  routing_key = "default-routing-key-0000000000000"
  service "db" {
    routing_key = "db-routing-key-0000000000000000"
  }
}
slack {
  bot_token      = "xoxb-1"
  signing_secret = "signing"
}
`
	defaultStorm := Storm{Enabled: true, Incidents: 20, Window: 5 * time.Minute, Quiet: 5 * time.Minute, PageHold: 30 * time.Second}
	tests := []struct {
		name string
		src  string
		want Guardrails
	}{
		{
			name: "no block",
			src:  "",
			want: Guardrails{MaxConcurrent: 10, Storm: defaultStorm},
		},
		{
			name: "switches only",
			src:  "guardrails {\n  dry_run = true\n  paused = true\n}\n",
			want: Guardrails{DryRun: true, Paused: true, MaxConcurrent: 10, Storm: defaultStorm},
		},
		{
			name: "no cap",
			src:  "guardrails {\n  max_concurrent_remediations = 0\n}\n",
			want: Guardrails{Storm: defaultStorm},
		},
		{
			name: "quiet defaults to the window",
			src:  "guardrails {\n  storm {\n    window = \"2m\"\n  }\n}\n",
			want: Guardrails{MaxConcurrent: 10, Storm: Storm{Enabled: true, Incidents: 20, Window: 2 * time.Minute, Quiet: 2 * time.Minute, PageHold: 30 * time.Second}},
		},
		{
			name: "storm disabled",
			src:  "guardrails {\n  storm {\n    enabled = false\n  }\n}\n",
			want: Guardrails{MaxConcurrent: 10, Storm: Storm{Incidents: 20, Window: 5 * time.Minute, Quiet: 5 * time.Minute, PageHold: 30 * time.Second}},
		},
		{
			name: "zero incidents disables",
			src:  "guardrails {\n  storm {\n    incidents = 0\n  }\n}\n",
			want: Guardrails{MaxConcurrent: 10, Storm: Storm{Window: 5 * time.Minute, Quiet: 5 * time.Minute, PageHold: 30 * time.Second}},
		},
		{
			name: "destinations",
			src: pd + `guardrails {
  max_concurrent_remediations = 3
  storm {
    incidents         = 5
    window            = "1m"
    quiet             = "10m"
    slack_channel     = "#incidents"
    pagerduty         = true
    pagerduty_service = "db"
  }
}
`,
			want: Guardrails{MaxConcurrent: 3, Storm: Storm{Enabled: true, Incidents: 5, Window: time.Minute, Quiet: 10 * time.Minute, PageHold: 30 * time.Second,
				SlackChannel: "#incidents", PagerDuty: true, PagerDutyService: "db"}},
		},
		{
			name: "page hold",
			src:  "guardrails {\n  storm {\n    page_hold = \"5s\"\n  }\n}\n",
			want: Guardrails{MaxConcurrent: 10, Storm: Storm{Enabled: true, Incidents: 20, Window: 5 * time.Minute, Quiet: 5 * time.Minute, PageHold: 5 * time.Second}},
		},
		{
			name: "page hold is at most a short window",
			src:  "guardrails {\n  storm {\n    window = \"10s\"\n  }\n}\n",
			want: Guardrails{MaxConcurrent: 10, Storm: Storm{Enabled: true, Incidents: 20, Window: 10 * time.Second, Quiet: 10 * time.Second, PageHold: 10 * time.Second}},
		},
		{
			name: "page with the default key",
			src:  pd + "guardrails {\n  storm {\n    pagerduty = true\n  }\n}\n",
			want: Guardrails{MaxConcurrent: 10, Storm: Storm{Enabled: true, Incidents: 20, Window: 5 * time.Minute, Quiet: 5 * time.Minute, PageHold: 30 * time.Second, PagerDuty: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := Parse("firebreak.hcl", []byte(tt.src))
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if cfg.Guardrails != tt.want {
				t.Errorf("guardrails\ngot  %+v\nwant %+v", cfg.Guardrails, tt.want)
			}
		})
	}
}
