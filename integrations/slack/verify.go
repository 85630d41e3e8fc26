package slack

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// ReplayWindow is how far X-Slack-Request-Timestamp may be from now, in
// either direction, for a request to be accepted: a captured request cannot
// be replayed later, nor a forged future one stored up.
const ReplayWindow = 5 * time.Minute

// Errors Verify wraps, so the handler can answer and count each kind.
var (
	// ErrMissingHeaders: the signature or timestamp header is absent.
	ErrMissingHeaders = errors.New("missing slack signature headers")
	// ErrStale: the timestamp is outside ReplayWindow (or unparseable).
	ErrStale = errors.New("slack request timestamp outside the replay window")
	// ErrBadSignature: the HMAC does not match the signing secret.
	ErrBadSignature = errors.New("bad slack request signature")
)

const (
	headerSignature = "X-Slack-Signature"
	headerTimestamp = "X-Slack-Request-Timestamp"
)

// Verify checks that body was signed by Slack with the client's signing
// secret and that the request's timestamp lies within ReplayWindow of now.
// slack-go's verifier additionally checks the timestamp against the wall
// clock, so now should be the wall clock (tests inject it to be explicit).
func (c *Client) Verify(h http.Header, body []byte, now time.Time) error {
	return verify(c.cfg.SigningSecret, h, body, now)
}

func verify(secret string, h http.Header, body []byte, now time.Time) error {
	if secret == "" {
		return errors.New("verify slack request: no signing secret configured")
	}
	sig, ts := h.Get(headerSignature), h.Get(headerTimestamp)
	if sig == "" || ts == "" {
		return fmt.Errorf("verify slack request: %w", ErrMissingHeaders)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 || strconv.FormatInt(sec, 10) != ts {
		return fmt.Errorf("verify slack request: timestamp %.20q: %w", ts, ErrStale)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > ReplayWindow || d < -ReplayWindow {
		return fmt.Errorf("verify slack request: timestamp %d is %s from now: %w", sec, d.Round(time.Second), ErrStale)
	}
	sv, err := slack.NewSecretsVerifier(h, secret)
	switch {
	case errors.Is(err, slack.ErrMissingHeaders):
		return fmt.Errorf("verify slack request: %w", ErrMissingHeaders)
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return fmt.Errorf("verify slack request: timestamp %d against the wall clock: %w", sec, ErrStale)
	case err != nil:
		return fmt.Errorf("verify slack request: %w", ErrBadSignature)
	}
	if _, err := sv.Write(body); err != nil {
		return fmt.Errorf("verify slack request: %w", err)
	}
	if err := sv.Ensure(); err != nil {
		return fmt.Errorf("verify slack request: %w", ErrBadSignature)
	}
	return nil
}
