package testutil

import (
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Alertmanager is a running Alertmanager owned by one test.
type Alertmanager struct {
	URL  string // base URL, http://127.0.0.1:<Port>
	Port int    // the TCP port it listens on
	Dir  string // holds alertmanager.yml, data/ and alertmanager.log
}

// AlertmanagerOptions says where the test's Alertmanager delivers
// notifications and how it groups them.
type AlertmanagerOptions struct {
	WebhookURL  string   // the only receiver; empty: notifications go nowhere
	BearerToken string   // sent as "Authorization: Bearer <token>" when set
	GroupBy     []string // default ["alertname", "service"]
	// GroupInterval is the route's group_interval, default "1s". It is
	// also Alertmanager's notification timeout, at least 10 s: a storm
	// test that sets "30s" gives each notification 30 s, retries included.
	GroupInterval string
}

// StartAlertmanager starts a single, non-clustered Alertmanager tuned for
// tests: group_wait 0s and group_interval 1s so a firing or resolved alert
// is delivered within about a second; repeat_interval 1h so an unchanged
// group is never re-sent during a test, which keeps webhook assertions exact;
// send_resolved true. The empty --cluster.listen-address keeps it off
// 0.0.0.0:9094.
func StartAlertmanager(t testing.TB, opts AlertmanagerOptions) *Alertmanager {
	t.Helper()
	bin := requireBinary(t, "Alertmanager", "prometheus-alertmanager", "alertmanager")
	groupBy := opts.GroupBy
	if len(groupBy) == 0 {
		groupBy = []string{"alertname", "service"}
	}
	groupInterval := opts.GroupInterval
	if groupInterval == "" {
		groupInterval = "1s"
	}
	dir := t.TempDir()
	a := &Alertmanager{Port: FreePort(t), Dir: dir}
	a.URL = fmt.Sprintf("http://127.0.0.1:%d", a.Port)

	receiver := map[string]any{"name": "test"}
	if opts.WebhookURL != "" {
		hook := map[string]any{"url": opts.WebhookURL, "send_resolved": true}
		if opts.BearerToken != "" {
			hook["http_config"] = map[string]any{
				"authorization": map[string]any{"type": "Bearer", "credentials": opts.BearerToken},
			}
		}
		receiver["webhook_configs"] = []any{hook}
	}
	cfg := map[string]any{
		"route": map[string]any{
			"receiver":        "test",
			"group_by":        groupBy,
			"group_wait":      "0s",
			"group_interval":  groupInterval,
			"repeat_interval": "1h",
		},
		"receivers": []any{receiver},
	}
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	writeJSON(t, cfgPath, cfg)

	proc := startProcess(t, "alertmanager", dir, nil, syscall.SIGTERM, bin,
		"--config.file="+cfgPath,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(a.Port),
		"--cluster.listen-address=",
		"--web.external-url="+a.URL,
	)
	proc.waitReady(t, httpReadyTimeout, httpReady(a.URL+"/-/ready"))
	return a
}
