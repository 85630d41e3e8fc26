package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/firebreak-dev/firebreak/runbooks"
)

// rawConfig is firebreak.hcl as written. Every field is optional; gohcl
// reports any key not listed here as unsupported.
type rawConfig struct {
	Temporal   *rawTemporal   `hcl:"temporal,block"`
	Server     *rawServer     `hcl:"server,block"`
	Prometheus *rawPrometheus `hcl:"prometheus,block"`
	Secrets    *rawSecrets    `hcl:"secrets,block"`
	Guardrails *rawGuardrails `hcl:"guardrails,block"`
	Incidents  *rawIncidents  `hcl:"incidents,block"`
	Worker     *rawWorker     `hcl:"worker,block"`
	Slack      *rawSlack      `hcl:"slack,block"`
	PagerDuty  *rawPagerDuty  `hcl:"pagerduty,block"`
	Operators  []*rawOperator `hcl:"operator,block"`
	Kubernetes *rawKubernetes `hcl:"kubernetes,block"`
}

type rawTemporal struct {
	Address        *string   `hcl:"address,optional"`
	AddressRange   hcl.Range `hcl:"address,attr_value_range"`
	Namespace      *string   `hcl:"namespace,optional"`
	NamespaceRange hcl.Range `hcl:"namespace,attr_value_range"`
	TaskQueue      *string   `hcl:"task_queue,optional"`
	TaskQueueRange hcl.Range `hcl:"task_queue,attr_value_range"`
	DefRange       hcl.Range `hcl:",def_range"`
}

type rawServer struct {
	Listen         *string   `hcl:"listen,optional"`
	ListenRange    hcl.Range `hcl:"listen,attr_value_range"`
	Token          *string   `hcl:"token,optional"`
	TokenRange     hcl.Range `hcl:"token,attr_range"`
	TokenFile      *string   `hcl:"token_file,optional"`
	TokenFileRange hcl.Range `hcl:"token_file,attr_value_range"`
	MaxBodyBytes   *int64    `hcl:"max_body_bytes,optional"`
	MaxBodyRange   hcl.Range `hcl:"max_body_bytes,attr_value_range"`
	DefRange       hcl.Range `hcl:",def_range"`
}

type rawPrometheus struct {
	URL          *string   `hcl:"url,optional"`
	URLRange     hcl.Range `hcl:"url,attr_value_range"`
	Timeout      *string   `hcl:"timeout,optional"`
	TimeoutRange hcl.Range `hcl:"timeout,attr_value_range"`
	DefRange     hcl.Range `hcl:",def_range"`
}

type rawSecrets struct {
	Dir            *string   `hcl:"dir,optional"`
	DirRange       hcl.Range `hcl:"dir,attr_value_range"`
	EnvPrefix      *string   `hcl:"env_prefix,optional"`
	EnvPrefixRange hcl.Range `hcl:"env_prefix,attr_value_range"`
	DefRange       hcl.Range `hcl:",def_range"`
}

type rawIncidents struct {
	Linger      *string   `hcl:"linger,optional"`
	LingerRange hcl.Range `hcl:"linger,attr_value_range"`
	DefRange    hcl.Range `hcl:",def_range"`
}

var (
	envPrefixPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// evalCtx allows no variables and no functions: the configuration is
	// plain values.
	evalCtx = &hcl.EvalContext{}
)

// Load reads and parses a configuration file.
func Load(path string) (*Config, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration",
			Detail:   fmt.Sprintf("read config %s: %s.", path, err),
		}}
	}
	return Parse(path, src)
}

// Parse decodes, defaults and validates a configuration. Relative paths in
// it resolve against the directory of filename, and x_file settings are
// read here, so the returned Config needs no further I/O to interpret.
// It returns nil when there are errors.
func Parse(filename string, src []byte) (*Config, hcl.Diagnostics) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	if diags = append(diags, runbooks.CheckNumbers(file.Body)...); diags.HasErrors() {
		return nil, diags
	}
	var raw rawConfig
	if diags = append(diags, gohcl.DecodeBody(file.Body, evalCtx, &raw)...); diags.HasErrors() {
		return nil, diags
	}
	cfg := Default()
	cfg.Filename = filename
	base := filepath.Dir(filename)
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	d := &decoder{base: base}
	d.temporal(raw.Temporal, &cfg.Temporal)
	d.server(raw.Server, &cfg.Server)
	d.prometheus(raw.Prometheus, &cfg.Prometheus)
	d.secrets(raw.Secrets, &cfg.Secrets)
	if in := raw.Incidents; in != nil && in.Linger != nil {
		cfg.Incidents.Linger = d.duration(*in.Linger, "linger", true, in.LingerRange, in.DefRange)
	}
	d.worker(raw.Worker, &cfg.Worker)
	d.slack(raw.Slack, &cfg.Slack)
	d.pagerduty(raw.PagerDuty, &cfg.PagerDuty)
	cfg.Operators = d.operators(raw.Operators)
	d.guardrails(raw.Guardrails, &cfg.Guardrails, cfg.Slack, cfg.PagerDuty)
	cfg.Kubernetes = d.kubernetes(raw.Kubernetes)
	diags = append(diags, d.diags...)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// decoder accumulates diagnostics while validating raw blocks.
type decoder struct {
	base  string // directory relative paths resolve against
	diags hcl.Diagnostics
}

func (d *decoder) errorf(subject, context hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject.Ptr(),
		Context:  context.Ptr(),
	})
}

func (d *decoder) temporal(r *rawTemporal, t *Temporal) {
	if r == nil {
		return
	}
	if r.Address != nil {
		d.hostPort(*r.Address, "address", false, r.AddressRange, r.DefRange)
		t.Address = *r.Address
	}
	if r.Namespace != nil {
		d.nonEmpty(*r.Namespace, "namespace", r.NamespaceRange, r.DefRange)
		t.Namespace = *r.Namespace
	}
	if r.TaskQueue != nil {
		d.nonEmpty(*r.TaskQueue, "task_queue", r.TaskQueueRange, r.DefRange)
		t.TaskQueue = *r.TaskQueue
	}
}

func (d *decoder) server(r *rawServer, s *Server) {
	if r == nil {
		return
	}
	if r.Listen != nil {
		d.hostPort(*r.Listen, "listen", true, r.ListenRange, r.DefRange)
		s.Listen = *r.Listen
	}
	s.Token = d.secret(r.Token, r.TokenFile, "token", r.TokenRange, r.TokenFileRange, r.DefRange)
	if r.MaxBodyBytes != nil {
		if *r.MaxBodyBytes <= 0 {
			d.errorf(r.MaxBodyRange, r.DefRange, "Invalid max_body_bytes", "max_body_bytes must be greater than 0.")
		}
		s.MaxBodyBytes = *r.MaxBodyBytes
	}
}

func (d *decoder) prometheus(r *rawPrometheus, p *Prometheus) {
	if r == nil {
		return
	}
	if r.URL != nil {
		u, err := url.Parse(*r.URL)
		switch {
		case err != nil:
			d.errorf(r.URLRange, r.DefRange, "Invalid URL", "url: %s.", err)
		case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
			d.errorf(r.URLRange, r.DefRange, "Invalid URL", "url = %q must be an absolute http:// or https:// URL.", *r.URL)
		case u.User != nil:
			d.errorf(r.URLRange, r.DefRange, "Invalid URL", "url must not carry credentials; they would be logged with it.")
		}
		p.URL = strings.TrimSuffix(*r.URL, "/")
	}
	if r.Timeout != nil {
		p.Timeout = d.duration(*r.Timeout, "timeout", false, r.TimeoutRange, r.DefRange)
	}
}

func (d *decoder) secrets(r *rawSecrets, s *Secrets) {
	if r == nil {
		return
	}
	if r.Dir != nil {
		d.nonEmpty(*r.Dir, "dir", r.DirRange, r.DefRange)
		s.Dir = d.path(*r.Dir)
	}
	if r.EnvPrefix != nil {
		if !envPrefixPattern.MatchString(*r.EnvPrefix) {
			d.errorf(r.EnvPrefixRange, r.DefRange, "Invalid env_prefix",
				"env_prefix = %q must be a valid environment variable name prefix: letters, digits and '_'.", *r.EnvPrefix)
		}
		s.EnvPrefix = *r.EnvPrefix
	}
}

// secret reads an x / x_file pair: at most one may be set; a file's
// contents lose their trailing newline, which editors add and no credential
// contains. Diagnostics never include the value.
func (d *decoder) secret(value, file *string, name string, valueRange, fileRange, context hcl.Range) Secret {
	switch {
	case value != nil && file != nil:
		d.errorf(valueRange, context, "Conflicting "+name+" settings",
			"Set %s or %s_file, not both.", name, name)
		return Secret{}
	case value != nil:
		return Secret{value: *value}
	case file != nil:
		path := d.path(*file)
		b, err := os.ReadFile(path)
		if err != nil {
			d.errorf(fileRange, context, "Cannot read "+name+"_file", "read %s: %s.", path, err)
			return Secret{}
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			d.errorf(fileRange, context, "Empty "+name+"_file", "%s is empty.", path)
		}
		return Secret{value: v}
	}
	return Secret{}
}

// path resolves p against the configuration file's directory.
func (d *decoder) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.base, p)
}

func (d *decoder) nonEmpty(v, name string, subject, context hcl.Range) {
	if strings.TrimSpace(v) == "" {
		d.errorf(subject, context, "Empty "+name, "%s cannot be empty; omit it to use the default.", name)
	}
}

// hostPort validates a host:port; a listen address may leave the host empty
// (all interfaces) and use port 0 (any free port).
func (d *decoder) hostPort(v, name string, listen bool, subject, context hcl.Range) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		d.errorf(subject, context, "Invalid address", "%s = %q: want host:port, like \"127.0.0.1:9095\".", name, v)
		return
	}
	n, err := strconv.Atoi(port)
	low := 1
	if listen {
		low = 0
	}
	if err != nil || n < low || n > 65535 {
		d.errorf(subject, context, "Invalid address", "%s = %q: port must be a number from %d to 65535.", name, v, low)
	}
	if !listen && host == "" {
		d.errorf(subject, context, "Invalid address", "%s = %q: the host is missing.", name, v)
	}
}

func (d *decoder) duration(v, name string, allowZero bool, subject, context hcl.Range) time.Duration {
	t, err := time.ParseDuration(v)
	switch {
	case err != nil:
		d.errorf(subject, context, "Invalid duration", "%s = %q is not a duration; use a number with a unit, like \"10s\" or \"1h\".", name, v)
	case t < 0 || (t == 0 && !allowZero):
		d.errorf(subject, context, "Invalid duration", "%s = %q must be greater than 0.", name, v)
	}
	return t
}
