// Package pagerduty pages people through PagerDuty's Events API v2. It
// wraps github.com/PagerDuty/go-pagerduty, enforces the API's limits before
// sending (so an oversized diagnosis is trimmed, not refused), and makes
// one attempt per call: retrying is the caller's business (in firebreak,
// Temporal's). A refused event returns a *StatusError that says whether
// PagerDuty asks clients to retry it and how long it asked them to wait.
// The package imports nothing of firebreak's.
//
// Every event carries a dedup key (firebreak uses the incident ID), so a
// retried trigger joins the open PagerDuty incident instead of opening a
// second one, and Resolve closes exactly the incident Trigger opened.
package pagerduty

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

// Limits of the Events API v2
// (https://developer.pagerduty.com/docs/events-api-v2-overview).
const (
	MaxSummaryLen  = 1024       // payload.summary, in characters
	MaxDedupKeyLen = 255        // dedup_key, in characters
	MaxEventBytes  = 512 * 1024 // a whole event
	// targetEventBytes leaves headroom under MaxEventBytes for encoding
	// differences between our measurement and PagerDuty's.
	targetEventBytes = MaxEventBytes - 4*1024
)

// Defaults for a Client.
const (
	DefaultEventsURL = "https://events.pagerduty.com"
	DefaultTimeout   = 10 * time.Second
)

// Severities PagerDuty accepts.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// TrimmedField is the custom_details key that says which details were cut
// to fit MaxEventBytes, so the person paged knows to look at the timeline.
const TrimmedField = "firebreak_trimmed"

// Config is what a Client needs. RoutingKey is a secret: it is never
// logged nor put in an error.
type Config struct {
	RoutingKey string        // the service integration's 32-character routing key; required
	EventsURL  string        // base URL of the Events API; default DefaultEventsURL (tests point it elsewhere)
	Timeout    time.Duration // bounds each call (one attempt); default DefaultTimeout
}

// Event is one alert to trigger.
type Event struct {
	DedupKey      string         // identifies the incident across retries, updates and resolve; required
	Summary       string         // the headline people see; truncated to MaxSummaryLen
	Severity      string         // critical, error, warning or info; others map as SeverityFromAlert does
	Source        string         // where the problem is (host, service); default "firebreak"
	Component     string         // the part of the source affected (database, pool)
	Group         string         // a logical grouping (cluster, team)
	Class         string         // the kind of problem (alert name)
	CustomDetails map[string]any // the collected context: diagnosis, actions, verification
	Links         []Link         // the timeline and the alert's source
	Timestamp     time.Time      // when the problem started; zero omits it
}

// Link is a link shown on the PagerDuty incident.
type Link struct {
	Href string // absolute URL
	Text string // what the link is
}

// Client sends events for one PagerDuty service.
type Client struct {
	pd      *pagerduty.Client
	key     string
	log     *slog.Logger
	timeout time.Duration
}

// Option changes a Client's defaults.
type Option func(*Client)

// New returns a Client for cfg.
func New(cfg Config, log *slog.Logger, opts ...Option) (*Client, error) {
	if cfg.RoutingKey == "" {
		return nil, errors.New("pagerduty client: routing key is required")
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	base := strings.TrimSuffix(strings.TrimSuffix(cfg.EventsURL, "/"), "/v2/enqueue")
	if base == "" {
		base = DefaultEventsURL
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("pagerduty client: events url %q: want http(s)://host", base)
	}
	c := &Client{key: cfg.RoutingKey, log: log, timeout: cfg.Timeout}
	for _, o := range opts {
		o(c)
	}
	c.pd = pagerduty.NewClient("", pagerduty.WithV2EventsAPIEndpoint(base))
	c.pd.HTTPClient = &capturingClient{hc: &http.Client{Timeout: cfg.Timeout}}
	return c, nil
}

// Trigger opens (or, with the same dedup key, updates) the incident for e.
func (c *Client) Trigger(ctx context.Context, e Event) error {
	key := DedupKey(e.DedupKey)
	op := "pagerduty trigger " + key
	if key == "" {
		return errors.New("pagerduty trigger: dedup key is required, so retries cannot open duplicates")
	}
	ev, err := c.triggerEvent(key, e)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return c.send(ctx, op, ev)
}

// Acknowledge tells PagerDuty someone is on the incident with dedupKey.
func (c *Client) Acknowledge(ctx context.Context, dedupKey string) error {
	return c.change(ctx, "acknowledge", dedupKey)
}

// Resolve closes the incident with dedupKey.
func (c *Client) Resolve(ctx context.Context, dedupKey string) error {
	return c.change(ctx, "resolve", dedupKey)
}

func (c *Client) change(ctx context.Context, action, dedupKey string) error {
	key := DedupKey(dedupKey)
	op := "pagerduty " + action + " " + key
	if key == "" {
		return fmt.Errorf("pagerduty %s: dedup key is required", action)
	}
	return c.send(ctx, op, &pagerduty.V2Event{RoutingKey: c.key, Action: action, DedupKey: key})
}

// DedupKey returns the dedup key sent for id: id itself when it fits
// MaxDedupKeyLen, otherwise a prefix of it and its SHA-256, so a long ID
// still maps to one stable key for trigger and resolve alike.
func DedupKey(id string) string {
	if len(id) <= MaxDedupKeyLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	h := hex.EncodeToString(sum[:])
	return id[:MaxDedupKeyLen-len(h)-1] + "~" + h
}

// SeverityFromAlert maps Alertmanager's severity label onto PagerDuty's
// severities; anything unknown is "error", loud enough to be seen.
func SeverityFromAlert(labels map[string]string) string {
	return normalizeSeverity(labels["severity"])
}

func normalizeSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "page", "critical":
		return SeverityCritical
	case "warning", "warn":
		return SeverityWarning
	case "info":
		return SeverityInfo
	}
	return SeverityError
}

func (c *Client) triggerEvent(key string, e Event) (*pagerduty.V2Event, error) {
	source := e.Source
	if source == "" {
		source = "firebreak"
	}
	p := &pagerduty.V2Payload{
		Summary:   truncateSummary(e.Summary),
		Source:    source,
		Severity:  normalizeSeverity(e.Severity),
		Component: e.Component,
		Group:     e.Group,
		Class:     e.Class,
	}
	if p.Summary == "" {
		p.Summary = "firebreak incident " + key
	}
	if !e.Timestamp.IsZero() {
		p.Timestamp = e.Timestamp.UTC().Format(time.RFC3339)
	}
	ev := &pagerduty.V2Event{RoutingKey: c.key, Action: "trigger", DedupKey: key, Payload: p, Client: "firebreak"}
	for _, l := range e.Links {
		if l.Href == "" {
			continue
		}
		ev.Links = append(ev.Links, map[string]string{"href": l.Href, "text": l.Text})
	}
	details, trimmed, err := fitDetails(ev, e.CustomDetails)
	if err != nil {
		return nil, err
	}
	if len(details) > 0 {
		p.Details = details
	}
	if len(trimmed) > 0 {
		c.log.Warn("pagerduty custom details trimmed to fit the event size limit", "dedup_key", key, "trimmed", trimmed)
	}
	return ev, nil
}

// truncateSummary cuts s to MaxSummaryLen characters, marking the cut.
func truncateSummary(s string) string {
	r := []rune(s)
	if len(r) <= MaxSummaryLen {
		return s
	}
	const mark = " …[truncated]"
	return string(r[:MaxSummaryLen-len([]rune(mark))]) + mark
}

// fitDetails returns details small enough for the event to fit
// targetEventBytes: the largest values are replaced, one at a time, by a
// note of their size, and TrimmedField lists the keys cut. It fails only
// when the event is too large even without any details.
func fitDetails(ev *pagerduty.V2Event, details map[string]any) (map[string]any, []string, error) {
	size := func(d map[string]any) (int, error) {
		if len(d) > 0 {
			ev.Payload.Details = d
		} else {
			ev.Payload.Details = nil
		}
		defer func() { ev.Payload.Details = nil }()
		b, err := json.Marshal(ev)
		return len(b), err
	}
	n, err := size(details)
	if err != nil {
		return nil, nil, fmt.Errorf("encode custom details: %w", err)
	}
	if n <= targetEventBytes {
		return details, nil, nil
	}
	type entry struct {
		key  string
		size int
	}
	out := make(map[string]any, len(details)+1)
	var entries []entry
	for k, v := range details {
		out[k] = v
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, fmt.Errorf("encode custom detail %q: %w", k, err)
		}
		entries = append(entries, entry{k, len(b)})
	}
	// Largest first; ties by key so the result is deterministic.
	for i := range entries {
		for j := i + 1; j < len(entries); j++ {
			if entries[j].size > entries[i].size || (entries[j].size == entries[i].size && entries[j].key < entries[i].key) {
				entries[i], entries[j] = entries[j], entries[i]
			}
		}
	}
	var trimmed []string
	for _, e := range entries {
		out[e.key] = fmt.Sprintf("[trimmed: %d bytes; see the incident timeline]", e.size)
		trimmed = append(trimmed, e.key)
		out[TrimmedField] = fmt.Sprintf("custom_details trimmed to fit PagerDuty's %d KB event limit: %s", MaxEventBytes/1024, strings.Join(trimmed, ", "))
		if n, err = size(out); err != nil {
			return nil, nil, fmt.Errorf("encode custom details: %w", err)
		}
		if n <= targetEventBytes {
			return out, trimmed, nil
		}
	}
	if n, _ = size(nil); n <= targetEventBytes {
		return map[string]any{TrimmedField: "custom_details dropped to fit PagerDuty's event limit"}, trimmed, nil
	}
	return nil, nil, fmt.Errorf("event is %d bytes without custom details, limit %d", n, MaxEventBytes)
}

// send posts ev once, bounded by the client's timeout. The Events API
// deduplicates on the key, so the caller may repeat a failed send safely.
func (c *Client) send(ctx context.Context, op string, ev *pagerduty.V2Event) error {
	var body responseBody
	actx, cancel := context.WithTimeout(context.WithValue(ctx, bodyKey{}, &body), c.timeout)
	defer cancel()
	if _, err := c.pd.ManageEventWithContext(actx, ev); err != nil {
		return fmt.Errorf("%s: %w", op, c.describe(err, &body))
	}
	return nil
}

// StatusError is an answer from PagerDuty other than 202 Accepted.
type StatusError struct {
	Code    int      // the HTTP status
	Status  string   // PagerDuty's status field ("invalid event", "throttle event")
	Message string   // PagerDuty's message
	Errors  []string // PagerDuty's list of problems with the event
	// Wait is the answer's Retry-After (on a 429, say); zero when absent.
	Wait time.Duration
}

// Error says what PagerDuty answered, including its list of problems, so a
// refused event can be fixed from the log alone.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("status %d", e.Code)
	if e.Status != "" {
		msg += ": " + e.Status
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if len(e.Errors) > 0 {
		msg += ": " + strings.Join(e.Errors, "; ")
	}
	return msg
}

// Temporary says whether PagerDuty asks clients to retry this answer.
func (e *StatusError) Temporary() bool {
	return e.Code == http.StatusTooManyRequests || e.Code == http.StatusRequestTimeout || e.Code >= 500
}

// Permanent says whether repeating the event cannot succeed: PagerDuty
// refused it for what it is (400 invalid event, 401/403 a bad routing key,
// 413 too large), not for how busy it is. Transport failures and timeouts
// are not StatusErrors: the dedup key makes repeating them safe.
func (e *StatusError) Permanent() bool { return !e.Temporary() }

// RetryAfter is how long PagerDuty asked the caller to wait before
// repeating the event, when it did.
func (e *StatusError) RetryAfter() (time.Duration, bool) { return e.Wait, e.Wait > 0 }

// describe turns go-pagerduty's error into a StatusError when PagerDuty
// answered, and makes sure no text carries the routing key.
func (c *Client) describe(err error, body *responseBody) error {
	var apiErr pagerduty.APIError
	if errors.As(err, &apiErr) {
		se := &StatusError{Code: apiErr.StatusCode, Wait: body.retryAfter}
		if body.ok {
			se.Status, se.Message, se.Errors = body.Status, body.Message, body.Errors
		}
		err = se
	}
	if msg := err.Error(); strings.Contains(msg, c.key) {
		return errors.New(strings.ReplaceAll(msg, c.key, "[REDACTED]"))
	}
	return err
}

// responseBody is PagerDuty's error answer, captured by capturingClient
// because go-pagerduty reads only REST-style error bodies.
type responseBody struct {
	ok         bool
	retryAfter time.Duration // the Retry-After header, in seconds on the wire
	Status     string        `json:"status"`
	Message    string        `json:"message"`
	Errors     []string      `json:"errors"`
}

type bodyKey struct{}

// capturingClient keeps a copy of error answers for describe.
type capturingClient struct{ hc *http.Client }

// Do sends req and, for answers other than 202, keeps a copy of the body
// in the request's responseBody while leaving it readable for go-pagerduty.
func (c *capturingClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.hc.Do(req)
	if err != nil || resp.StatusCode == http.StatusAccepted {
		return resp, err
	}
	if dst, ok := req.Context().Value(bodyKey{}).(*responseBody); ok {
		if secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && secs > 0 {
			dst.retryAfter = time.Duration(secs) * time.Second
		}
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if rerr == nil && json.Unmarshal(b, dst) == nil {
			dst.ok = true
		}
	}
	return resp, nil
}
