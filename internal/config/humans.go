package config

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/hashicorp/hcl/v2"
)

// Slack configures the Slack app firebreak posts as and hears from.
type Slack struct {
	BotToken      Secret // xoxb-…: posts and updates messages, resolves user groups
	SigningSecret Secret // verifies requests to /slack/interactions
	AppToken      Secret // xapp-…: Socket Mode, for teams without a public endpoint; optional
	// APIURL overrides Slack's API base URL (tests point it at slacktest).
	APIURL string
}

// Enabled reports whether Slack is configured at all.
func (s Slack) Enabled() bool { return s.BotToken.IsSet() }

// PagerDuty configures PagerDuty's Events API v2.
type PagerDuty struct {
	RoutingKey Secret            // the default integration key
	Services   map[string]Secret // per-service integration keys, named by runbooks' pagerduty { service = "…" }
	// EventsURL overrides the Events API endpoint (tests point it at a
	// contract test server).
	EventsURL string
}

// Enabled reports whether any PagerDuty routing key is configured.
func (p PagerDuty) Enabled() bool { return p.RoutingKey.IsSet() || len(p.Services) > 0 }

// Operator is a person or tool allowed to answer approvals through
// `firebreak approve`/`deny` and the HTTP API, authenticated by its token.
type Operator struct {
	Name  string
	Token Secret
}

type rawSlack struct {
	BotToken               *string   `hcl:"bot_token,optional"`
	BotTokenRange          hcl.Range `hcl:"bot_token,attr_range"`
	BotTokenFile           *string   `hcl:"bot_token_file,optional"`
	BotTokenFileRange      hcl.Range `hcl:"bot_token_file,attr_value_range"`
	SigningSecret          *string   `hcl:"signing_secret,optional"`
	SigningSecretRange     hcl.Range `hcl:"signing_secret,attr_range"`
	SigningSecretFile      *string   `hcl:"signing_secret_file,optional"`
	SigningSecretFileRange hcl.Range `hcl:"signing_secret_file,attr_value_range"`
	AppToken               *string   `hcl:"app_token,optional"`
	AppTokenRange          hcl.Range `hcl:"app_token,attr_range"`
	AppTokenFile           *string   `hcl:"app_token_file,optional"`
	AppTokenFileRange      hcl.Range `hcl:"app_token_file,attr_value_range"`
	APIURL                 *string   `hcl:"api_url,optional"`
	APIURLRange            hcl.Range `hcl:"api_url,attr_value_range"`
	DefRange               hcl.Range `hcl:",def_range"`
}

type rawPagerDuty struct {
	RoutingKey          *string                `hcl:"routing_key,optional"`
	RoutingKeyRange     hcl.Range              `hcl:"routing_key,attr_range"`
	RoutingKeyFile      *string                `hcl:"routing_key_file,optional"`
	RoutingKeyFileRange hcl.Range              `hcl:"routing_key_file,attr_value_range"`
	EventsURL           *string                `hcl:"events_url,optional"`
	EventsURLRange      hcl.Range              `hcl:"events_url,attr_value_range"`
	Services            []*rawPagerDutyService `hcl:"service,block"`
	DefRange            hcl.Range              `hcl:",def_range"`
}

type rawPagerDutyService struct {
	Name                string    `hcl:"name,label"`
	RoutingKey          *string   `hcl:"routing_key,optional"`
	RoutingKeyRange     hcl.Range `hcl:"routing_key,attr_range"`
	RoutingKeyFile      *string   `hcl:"routing_key_file,optional"`
	RoutingKeyFileRange hcl.Range `hcl:"routing_key_file,attr_value_range"`
	DefRange            hcl.Range `hcl:",def_range"`
}

type rawOperator struct {
	Name           string    `hcl:"name,label"`
	Token          *string   `hcl:"token,optional"`
	TokenRange     hcl.Range `hcl:"token,attr_range"`
	TokenFile      *string   `hcl:"token_file,optional"`
	TokenFileRange hcl.Range `hcl:"token_file,attr_value_range"`
	DefRange       hcl.Range `hcl:",def_range"`
}

var operatorNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

func (d *decoder) slack(r *rawSlack, s *Slack) {
	if r == nil {
		return
	}
	s.BotToken = d.secret(r.BotToken, r.BotTokenFile, "bot_token", r.BotTokenRange, r.BotTokenFileRange, r.DefRange)
	s.SigningSecret = d.secret(r.SigningSecret, r.SigningSecretFile, "signing_secret", r.SigningSecretRange, r.SigningSecretFileRange, r.DefRange)
	s.AppToken = d.secret(r.AppToken, r.AppTokenFile, "app_token", r.AppTokenRange, r.AppTokenFileRange, r.DefRange)
	if !s.BotToken.IsSet() {
		d.errorf(r.DefRange, r.DefRange, "Missing bot_token", "A slack block needs bot_token or bot_token_file.")
	}
	if !s.SigningSecret.IsSet() && !s.AppToken.IsSet() {
		d.errorf(r.DefRange, r.DefRange, "Missing signing_secret",
			"Approval buttons need signing_secret (interactivity over HTTP) or app_token (Socket Mode): without either, nobody's click can be verified.")
	}
	if r.APIURL != nil {
		d.httpURL(*r.APIURL, "api_url", r.APIURLRange, r.DefRange)
		s.APIURL = *r.APIURL
	}
}

func (d *decoder) pagerduty(r *rawPagerDuty, p *PagerDuty) {
	if r == nil {
		return
	}
	p.RoutingKey = d.secret(r.RoutingKey, r.RoutingKeyFile, "routing_key", r.RoutingKeyRange, r.RoutingKeyFileRange, r.DefRange)
	if r.EventsURL != nil {
		d.httpURL(*r.EventsURL, "events_url", r.EventsURLRange, r.DefRange)
		p.EventsURL = *r.EventsURL
	}
	for _, s := range r.Services {
		if p.Services == nil {
			p.Services = map[string]Secret{}
		}
		if _, dup := p.Services[s.Name]; dup {
			d.errorf(s.DefRange, r.DefRange, "Duplicate PagerDuty service", "service %q is defined twice.", s.Name)
			continue
		}
		key := d.secret(s.RoutingKey, s.RoutingKeyFile, "routing_key", s.RoutingKeyRange, s.RoutingKeyFileRange, s.DefRange)
		if !key.IsSet() {
			d.errorf(s.DefRange, s.DefRange, "Missing routing_key", "service %q needs routing_key or routing_key_file.", s.Name)
		}
		p.Services[s.Name] = key
	}
	if !p.Enabled() {
		d.errorf(r.DefRange, r.DefRange, "Missing routing_key", "A pagerduty block needs routing_key, routing_key_file or service blocks.")
	}
}

func (d *decoder) operators(rs []*rawOperator) []Operator {
	var out []Operator
	seen := map[string]bool{}
	for _, r := range rs {
		if !operatorNamePattern.MatchString(r.Name) {
			d.errorf(r.DefRange, r.DefRange, "Invalid operator name", "%q: use lowercase letters, digits, '_', '.' and '-'.", r.Name)
		}
		if seen[r.Name] {
			d.errorf(r.DefRange, r.DefRange, "Duplicate operator", "operator %q is defined twice.", r.Name)
		}
		seen[r.Name] = true
		tok := d.secret(r.Token, r.TokenFile, "token", r.TokenRange, r.TokenFileRange, r.DefRange)
		if !tok.IsSet() {
			d.errorf(r.DefRange, r.DefRange, "Missing token", "operator %q needs token or token_file.", r.Name)
		} else if len(tok.Value()) < 16 {
			d.errorf(r.DefRange, r.DefRange, "Weak token", "operator %q: a token must be at least 16 characters.", r.Name)
		}
		out = append(out, Operator{Name: r.Name, Token: tok})
	}
	return out
}

func (d *decoder) httpURL(s, name string, subject, context hcl.Range) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		d.errorf(subject, context, "Invalid URL", "%s: %s.", name, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		d.errorf(subject, context, "Invalid URL", "%s = %q must be an absolute http:// or https:// URL.", name, fmt.Sprint(s))
	}
}
