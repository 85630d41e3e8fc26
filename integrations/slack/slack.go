// Package slack is firebreak's Slack client: it posts one Block Kit message
// per incident and threads every later step under it, asks for approvals
// with buttons, and receives the clicks (over HTTP or Socket Mode), verified
// before anything acts on them.
//
// The package wraps github.com/slack-go/slack. It knows nothing about
// workflows: the consumer that turns a click into a workflow signal
// implements Decider, and the escalation code builds IncidentMessage values
// from the incident record.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Defaults for a Client; each can be changed with an Option.
const (
	// DefaultTimeout bounds one attempt of one Slack API call.
	DefaultTimeout = 10 * time.Second
	// MaxAttempts is the most attempts any call makes, so that firebreak
	// never joins a retry storm against a struggling Slack.
	MaxAttempts = 3
	// DefaultMaxRetryAfter is the longest Retry-After firebreak waits for;
	// a longer one fails the call at once so the escalation can move on to
	// its next channel instead of stalling.
	DefaultMaxRetryAfter = 30 * time.Second
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

	attempts      int
	maxRetryAfter time.Duration
	backoff       time.Duration
	sleep         func(context.Context, time.Duration) error
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

// WithTimeout bounds each attempt of each API call (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithMaxAttempts sets how many attempts a call makes, clamped to
// 1..MaxAttempts, so a misconfiguration cannot create a retry storm.
func WithMaxAttempts(n int) Option {
	return func(c *Client) { c.attempts = min(max(n, 1), MaxAttempts) }
}

// WithMaxRetryAfter sets the longest rate-limit wait honoured before a call
// gives up (default DefaultMaxRetryAfter).
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *Client) { c.maxRetryAfter = d }
}

// WithSleep replaces the wait between attempts. Tests use it to observe the
// waits without spending them; it must return ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
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

// New returns a Client for cfg. log receives warnings about retries and
// refused requests, never a token.
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
		attempts:      MaxAttempts,
		maxRetryAfter: DefaultMaxRetryAfter,
		backoff:       500 * time.Millisecond,
		sleep:         sleepCtx,
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

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call runs fn with a per-attempt timeout and bounded retries. Rate limits
// (429) and refused connections are retried for every call: Slack did not
// process those requests. Server errors and timeouts are retried only for
// idempotent calls, because a repeated chat.postMessage would post twice.
func (c *Client) call(ctx context.Context, op string, idempotent bool, fn func(context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		err = fn(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, c.redact(err))
		}
		wait, ok := c.retryWait(err, idempotent, attempt)
		if !ok || attempt >= c.attempts {
			break
		}
		if dl, has := ctx.Deadline(); has && time.Until(dl) < wait {
			break
		}
		c.log.Warn("slack call failed, retrying", "op", op, "attempt", attempt, "wait", wait, "err", c.redact(err))
		if serr := c.sleep(ctx, wait); serr != nil {
			break
		}
	}
	return fmt.Errorf("%s: %w", op, c.redact(err))
}

// retryWait says whether err is worth another attempt and after how long.
func (c *Client) retryWait(err error, idempotent bool, attempt int) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		if rl.RetryAfter > c.maxRetryAfter {
			return 0, false
		}
		wait := max(rl.RetryAfter, time.Second)
		return wait + jitter(wait/4), true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code == http.StatusTooManyRequests {
			return c.backoffFor(attempt) + time.Second, true
		}
		return c.backoffFor(attempt), idempotent && sc.Code >= 500
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return c.backoffFor(attempt), true
	}
	if idempotent && errors.Is(err, context.DeadlineExceeded) {
		return c.backoffFor(attempt), true
	}
	return 0, false
}

// backoffFor is exponential from c.backoff with up to 50% jitter.
func (c *Client) backoffFor(attempt int) time.Duration {
	d := c.backoff << (attempt - 1)
	return d + jitter(d/2)
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d) // #nosec G404 -- jitter needs no cryptographic randomness
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
