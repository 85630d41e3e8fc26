package slack

import (
	"errors"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// Error is a failed Slack API call. The client makes one attempt per call,
// so the caller decides whether to try again; Error tells it what Slack
// said: a rate limit with the wait Slack asked for, or a refusal that no
// repeat can change.
type Error struct {
	Op string // what was attempted, e.g. "slack post thread 1700000000.000101"
	// Wait is Slack's Retry-After on a rate-limited call (HTTP 429); zero
	// otherwise.
	Wait time.Duration
	// Final says repeating the call cannot help: the token is invalid or
	// lacks a scope, the channel or message does not exist, the request is
	// malformed.
	Final bool
	err   error
}

// Error names the call and Slack's answer, never a token.
func (e *Error) Error() string { return e.Op + ": " + e.err.Error() }

// Unwrap keeps errors.Is and errors.As working on slack-go's error.
func (e *Error) Unwrap() error { return e.err }

// RetryAfter is how long Slack asked the caller to wait before repeating
// the call, when it did.
func (e *Error) RetryAfter() (time.Duration, bool) { return e.Wait, e.Wait > 0 }

// Permanent says whether repeating the call cannot succeed.
func (e *Error) Permanent() bool { return e.Final }

// transientAPIErrors are the Web API's "ok": false errors that a later
// attempt may not get; every other one is final.
var transientAPIErrors = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true,
}

// classify wraps err, the failure of op, as an *Error.
func classify(op string, err error) *Error {
	e := &Error{Op: op, err: err}
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var api slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		e.Wait = max(rl.RetryAfter, time.Second)
	case errors.As(err, &sc):
		e.Final = sc.Code != http.StatusTooManyRequests && sc.Code != http.StatusRequestTimeout && sc.Code < 500
	case errors.As(err, &api):
		e.Final = !transientAPIErrors[api.Err]
	}
	return e
}
