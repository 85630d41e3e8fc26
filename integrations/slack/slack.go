// Package slack is firebreak's Slack client: it posts one Block Kit message
// per incident and threads every later step under it, asks for approvals
// with buttons, and receives the clicks (over HTTP or Socket Mode), verified
// before anything acts on them.
//
// The package wraps github.com/slack-go/slack and imports nothing of
// firebreak's: the consumer that turns a click into a workflow signal
// implements Decider, and the escalation code builds the plain message
// types (IncidentMessage, ApprovalRequest) from its incident record.
//
// Every call makes exactly one attempt, bounded by a timeout. Retrying is
// the caller's business (in firebreak, Temporal's); a failed call returns
// an *Error that says whether repeating it could help and how long Slack
// asked to wait.
package slack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Defaults for a Client; each can be changed with an Option.
const (
	// DefaultTimeout bounds each Slack API call (one attempt).
	DefaultTimeout = 10 * time.Second
	// DefaultApproverCacheTTL is how long a resolved user group is reused,
	// short enough that removing someone from a group takes effect quickly.
	DefaultApproverCacheTTL = time.Minute
)

// Config is what a Client needs to reach Slack. Every token is a secret:
// the client never logs them and redacts them from errors.
type Config struct {
	BotToken      string // xoxb- token for chat.* and usergroups.* calls; required
	SigningSecret string // verifies interaction requests; required for InteractionHandler and Verify
	AppToken      string // xapp- token; set to receive interactions over Socket Mode
	APIURL        string // overrides https://slack.com/api/ (tests point it at slacktest)
}

// Client talks to one Slack workspace as firebreak's bot.
type Client struct {
	api     *slack.Client
	cfg     Config
	log     *slog.Logger
	hc      *http.Client
	timeout time.Duration

	now           func() time.Time
	counter       Counter
	responseHosts map[string]bool

	cacheTTL time.Duration
	mu       sync.Mutex
	groups   map[string]groupEntry
}

type groupEntry struct {
	users []string
	at    time.Time
}

// Option changes a Client's defaults.
type Option func(*Client)

// WithTimeout bounds each API call (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithClock replaces time.Now for the approver cache, so tests can expire it.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// WithHTTPClient replaces the HTTP client used for API calls and
// response_url replies (its own Timeout still applies on top of WithTimeout).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// WithCounter counts refused interaction requests, so the engine's metrics
// show forged, replayed and malformed clicks.
func WithCounter(ctr Counter) Option {
	return func(c *Client) { c.counter = ctr }
}

// WithApproverCacheTTL sets how long ResolveApprovers reuses a group's
// members (default DefaultApproverCacheTTL; 0 disables the cache).
func WithApproverCacheTTL(d time.Duration) Option {
	return func(c *Client) { c.cacheTTL = d }
}

// WithResponseHosts adds hosts (host or host:port) the handler may post
// replies to besides Slack's own, for tests whose response_url points at a
// local server. Plain http is accepted only for these hosts.
func WithResponseHosts(hosts ...string) Option {
	return func(c *Client) {
		for _, h := range hosts {
			c.responseHosts[h] = true
		}
	}
}

// New returns a Client for cfg. log receives warnings about refused
// interaction requests, never a token.
func New(cfg Config, log *slog.Logger, opts ...Option) (*Client, error) {
	if cfg.BotToken == "" {
		return nil, errors.New("slack client: bot token is required")
	}
	if log == nil {
		log = slog.Default()
	}
	c := &Client{
		cfg:           cfg,
		log:           log,
		timeout:       DefaultTimeout,
		now:           time.Now,
		cacheTTL:      DefaultApproverCacheTTL,
		responseHosts: map[string]bool{},
		groups:        map[string]groupEntry{},
	}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: c.timeout}
	}
	sopts := []slack.Option{slack.OptionHTTPClient(c.hc)}
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		sopts = append(sopts, slack.OptionAPIURL(u))
	}
	if cfg.AppToken != "" {
		sopts = append(sopts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	c.api = slack.New(cfg.BotToken, sopts...)
	return c, nil
}

// call makes one attempt of fn, bounded by the client's timeout, and
// returns its failure as an *Error classified for the caller's retries.
func (c *Client) call(ctx context.Context, op string, fn func(context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := fn(actx); err != nil {
		return classify(op, c.redact(err))
	}
	return nil
}

// redact wraps err so that its text never carries a token, while errors.Is
// and errors.As still see the original.
func (c *Client) redact(err error) error {
	msg := err.Error()
	red := msg
	for _, s := range []string{c.cfg.BotToken, c.cfg.AppToken, c.cfg.SigningSecret} {
		if s != "" {
			red = strings.ReplaceAll(red, s, "[REDACTED]")
		}
	}
	if red == msg {
		return err
	}
	return &redactedError{msg: red, err: err}
}

type redactedError struct {
	msg string
	err error
}

// Error is the redacted text.
func (e *redactedError) Error() string { return e.msg }

// Unwrap keeps errors.Is and errors.As working on the original error.
func (e *redactedError) Unwrap() error { return e.err }
