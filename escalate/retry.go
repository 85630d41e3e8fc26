package escalate

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Error types of failed deliveries, stable for workflows.
const (
	// ErrTypeRefused: the destination refused the call for what it is (an
	// invalid event, a bad key or token, an unknown channel); no repeat can
	// succeed, so the activity fails non-retryable at once.
	ErrTypeRefused = "escalation-refused"
	// ErrTypeRateLimited: the destination asked us to slow down; the error's
	// NextRetryDelay is the wait it asked for (at most MaxRetryDelay).
	ErrTypeRateLimited = "escalation-rate-limited"
)

// MaxRetryDelay bounds the wait a rate limit's Retry-After sets for the
// next attempt, so one answer cannot park a page for an hour; the attempt
// after it may be limited again, and counts as an attempt.
const MaxRetryDelay = time.Minute

// What escalate needs to know about a failed call; the integrations' error
// types (slack.Error, pagerduty.StatusError) provide it.
type (
	permanentError interface{ Permanent() bool }
	rateLimitError interface {
		RetryAfter() (time.Duration, bool)
	}
)

// deliveryError is the activity's error for op failing with err, classified
// for Temporal, the only retry layer: non-retryable when no repeat can
// succeed, with the destination's Retry-After as the next retry's delay
// when it gave one, and plainly retryable otherwise (server errors,
// timeouts, transport failures).
func deliveryError(op string, err error) error {
	msg := op + ": " + err.Error()
	if permanent(err) {
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeRefused, err)
	}
	var rl rateLimitError
	if errors.As(err, &rl) {
		if d, ok := rl.RetryAfter(); ok {
			return temporal.NewApplicationErrorWithOptions(msg, ErrTypeRateLimited,
				temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: min(d, MaxRetryDelay)})
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// permanent says whether every failure in err (several, when joined) is
// one no repeat can change.
func permanent(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs := j.Unwrap()
		for _, e := range errs {
			if !permanent(e) {
				return false
			}
		}
		return len(errs) > 0
	}
	var p permanentError
	return errors.As(err, &p) && p.Permanent()
}
