package cli

import (
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/workflows"
)

// TestControlSettings: each guardrails block reaches the Control workflow
// as these settings; a disabled storm detects nothing.
func TestControlSettings(t *testing.T) {
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
	tests := []struct {
		name string
		src  string
		want workflows.ControlSettings
	}{
		{
			name: "no block",
			src:  "",
			want: workflows.ControlSettings{MaxConcurrent: 10, StormThreshold: 20, StormWindow: 5 * time.Minute, StormQuiet: 5 * time.Minute, StormPageHold: 30 * time.Second},
		},
		{
			name: "switches only",
			src:  "guardrails {\n  dry_run = true\n  paused = true\n}\n",
			want: workflows.ControlSettings{MaxConcurrent: 10, StormThreshold: 20, StormWindow: 5 * time.Minute, StormQuiet: 5 * time.Minute, StormPageHold: 30 * time.Second},
		},
		{
			name: "no cap",
			src:  "guardrails {\n  max_concurrent_remediations = 0\n}\n",
			want: workflows.ControlSettings{StormThreshold: 20, StormWindow: 5 * time.Minute, StormQuiet: 5 * time.Minute, StormPageHold: 30 * time.Second},
		},
		{
			name: "quiet defaults to the window",
			src:  "guardrails {\n  storm {\n    window = \"2m\"\n  }\n}\n",
			want: workflows.ControlSettings{MaxConcurrent: 10, StormThreshold: 20, StormWindow: 2 * time.Minute, StormQuiet: 2 * time.Minute, StormPageHold: 30 * time.Second},
		},
		{
			name: "storm disabled",
			src:  "guardrails {\n  storm {\n    enabled = false\n  }\n}\n",
			want: workflows.ControlSettings{MaxConcurrent: 10},
		},
		{
			name: "zero incidents disables",
			src:  "guardrails {\n  storm {\n    incidents = 0\n  }\n}\n",
			want: workflows.ControlSettings{MaxConcurrent: 10},
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
			want: workflows.ControlSettings{MaxConcurrent: 3, StormThreshold: 5, StormWindow: time.Minute, StormQuiet: 10 * time.Minute, StormPageHold: 30 * time.Second,
				StormSlackChannel: "#incidents", StormPage: true, StormPagerDutyService: "db"},
		},
		{
			name: "page with the default key",
			src:  pd + "guardrails {\n  storm {\n    pagerduty = true\n  }\n}\n",
			want: workflows.ControlSettings{MaxConcurrent: 10, StormThreshold: 20, StormWindow: 5 * time.Minute, StormQuiet: 5 * time.Minute, StormPageHold: 30 * time.Second,
				StormPage: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := config.Parse("firebreak.hcl", []byte(tt.src))
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if got := controlSettings(cfg.Guardrails); got != tt.want {
				t.Errorf("control settings\ngot  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
