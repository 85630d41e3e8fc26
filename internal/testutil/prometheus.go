package testutil

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// httpReadyTimeout bounds Prometheus's and Alertmanager's start-up (under a
// second when measured, more on a loaded CI machine).
const httpReadyTimeout = 20 * time.Second

// ruleFileNameRE keeps rule file names inside the server's directory.
var ruleFileNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`)

// Prometheus is a running Prometheus server owned by one test.
type Prometheus struct {
	URL  string // base URL, http://127.0.0.1:<Port>
	Port int    // the TCP port it listens on
	Dir  string // holds prometheus.yml, rule files, data/ and prometheus.log
}

// PrometheusOptions says what the test's Prometheus scrapes, evaluates and
// where it sends alerts.
type PrometheusOptions struct {
	ScrapeTargets   []string          // host:port of exporters, scraped at /metrics as job "test"
	RuleFiles       map[string]string // file name → rule YAML, evaluated every Interval
	AlertmanagerURL string            // where firing alerts go; empty: nowhere
	Interval        time.Duration     // scrape and evaluation interval; default 1s
}

// StartPrometheus starts Prometheus with the lifecycle API enabled (so a
// test can POST /-/reload after editing rules) and waits for /-/ready.
func StartPrometheus(t testing.TB, opts PrometheusOptions) *Prometheus {
	t.Helper()
	bin := requireBinary(t, "Prometheus", "prometheus")
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	dir := t.TempDir()
	p := &Prometheus{Port: FreePort(t), Dir: dir}
	p.URL = fmt.Sprintf("http://127.0.0.1:%d", p.Port)

	names := make([]string, 0, len(opts.RuleFiles))
	for name := range opts.RuleFiles {
		names = append(names, name)
	}
	sort.Strings(names)
	ruleFiles := make([]string, 0, len(names))
	for _, name := range names {
		if !ruleFileNameRE.MatchString(name) {
			t.Fatalf("prometheus: rule file name %q is not a plain file name", name)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(opts.RuleFiles[name]), 0o644); err != nil {
			t.Fatalf("prometheus: write rule file: %v", err)
		}
		ruleFiles = append(ruleFiles, path)
	}

	interval := opts.Interval.String()
	cfg := map[string]any{
		"global": map[string]any{
			"scrape_interval":     interval,
			"scrape_timeout":      interval,
			"evaluation_interval": interval,
		},
		"rule_files": ruleFiles,
		"scrape_configs": []any{map[string]any{
			"job_name":       "test",
			"static_configs": []any{map[string]any{"targets": nonNil(opts.ScrapeTargets)}},
		}},
	}
	if opts.AlertmanagerURL != "" {
		u, err := url.Parse(opts.AlertmanagerURL)
		if err != nil || u.Host == "" {
			t.Fatalf("prometheus: alertmanager URL %q: %v", opts.AlertmanagerURL, err)
		}
		am := map[string]any{
			"scheme":         u.Scheme,
			"static_configs": []any{map[string]any{"targets": []string{u.Host}}},
		}
		if u.Path != "" && u.Path != "/" {
			am["path_prefix"] = u.Path
		}
		cfg["alerting"] = map[string]any{"alertmanagers": []any{am}}
	}
	// JSON is YAML, so the configuration needs no YAML encoder.
	cfgPath := filepath.Join(dir, "prometheus.yml")
	writeJSON(t, cfgPath, cfg)

	proc := startProcess(t, "prometheus", dir, nil, syscall.SIGTERM, bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(p.Port),
		"--web.enable-lifecycle",
		"--web.external-url="+p.URL,
	)
	proc.waitReady(t, httpReadyTimeout, httpReady(p.URL+"/-/ready"))
	return p
}

// nonNil keeps an empty target list a list in the configuration.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeJSON writes v as indented JSON (valid YAML) to path.
func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("encode %s: %v", path, err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// httpReady returns a readiness check that succeeds when url answers 200.
func httpReady(url string) func() (bool, error) {
	client := &http.Client{Timeout: time.Second}
	return func() (bool, error) {
		resp, err := client.Get(url)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return true, nil
	}
}
