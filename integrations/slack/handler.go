package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Decider turns a verified approval click into a decision. The engine
// implements it (checking the clicker against the approvers and signalling
// the workflow); this package only delivers clicks to it. It must answer
// within a couple of seconds: Slack waits at most three for the request.
type Decider interface {
	// Decide records in and says what to tell the clicker. An error means
	// the decision could not be recorded; the clicker is told to try again.
	Decide(ctx context.Context, in Interaction) (Reply, error)
}

// Reply is what the handler answers the clicker once Decide returns.
type Reply struct {
	// Text goes to the clicker via the interaction's response_url; empty
	// sends nothing (the decider updated the message itself).
	Text string
	// Replace makes Text replace the approval message for everyone instead
	// of reaching only the clicker as an ephemeral message.
	Replace bool
}

// Counter counts refused interaction requests, so forged, replayed and
// malformed clicks show up in the engine's metrics.
type Counter interface {
	// Refused is called once per refused request with one of the Refused*
	// reasons.
	Refused(reason string)
}

// Reasons passed to Counter.Refused; they are stable metric label values.
const (
	RefusedMethod         = "method"
	RefusedTooLarge       = "too_large"
	RefusedMissingHeaders = "missing_headers"
	RefusedStale          = "stale"
	RefusedBadSignature   = "bad_signature"
	RefusedMalformed      = "malformed"
	RefusedNotApproval    = "not_approval"
)

// decideTimeout leaves room within Slack's three seconds to answer.
const decideTimeout = 2 * time.Second

// replyTimeout bounds the post to response_url.
const replyTimeout = 5 * time.Second

// couldNotRecord is what the clicker reads when Decide failed; the cause is
// logged, never shown.
const couldNotRecord = "firebreak could not record your decision. Try again, or use `firebreak approve` / `firebreak deny`."

// InteractionHandler returns the http.Handler for POST /slack/interactions:
// it bounds the body, verifies the signature and the replay window, parses
// the click and hands it to d. Refused requests are answered 4xx, logged
// without secrets and counted; d never sees them.
func (c *Client) InteractionHandler(d Decider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			c.refuse(w, r, http.StatusMethodNotAllowed, RefusedMethod, errors.New("method "+r.Method))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxInteractionBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				c.refuse(w, r, http.StatusRequestEntityTooLarge, RefusedTooLarge, err)
				return
			}
			c.refuse(w, r, http.StatusBadRequest, RefusedMalformed, err)
			return
		}
		if err := c.Verify(r.Header, body, c.now()); err != nil {
			reason := RefusedBadSignature
			switch {
			case errors.Is(err, ErrMissingHeaders):
				reason = RefusedMissingHeaders
			case errors.Is(err, ErrStale):
				reason = RefusedStale
			}
			c.refuse(w, r, http.StatusUnauthorized, reason, err)
			return
		}
		in, err := ParseInteraction(body)
		if err != nil {
			reason := RefusedMalformed
			if errors.Is(err, ErrNotApproval) {
				reason = RefusedNotApproval
			}
			c.refuse(w, r, http.StatusBadRequest, reason, err)
			return
		}
		reply := c.decide(r.Context(), d, in)
		w.WriteHeader(http.StatusOK)
		c.reply(in, reply)
	})
}

// decide calls d and returns what to tell the clicker; shared by HTTP and
// Socket Mode.
func (c *Client) decide(ctx context.Context, d Decider, in Interaction) Reply {
	dctx, cancel := context.WithTimeout(ctx, decideTimeout)
	reply, err := d.Decide(dctx, in)
	cancel()
	if err != nil {
		c.log.Error("slack decision not recorded", "incident", in.IncidentID, "approval", in.ApprovalID, "user", in.UserID, "err", c.redact(err))
		reply = Reply{Text: couldNotRecord}
	}
	c.log.Info("slack decision", "incident", in.IncidentID, "approval", in.ApprovalID, "user", in.UserID, "decision", in.Decision, "recorded", err == nil)
	return reply
}

// reply posts r to the clicker's response_url in the background, so that
// Slack gets its acknowledgement within its three seconds whatever the
// reply costs; the post has its own timeout.
func (c *Client) reply(in Interaction, r Reply) {
	if r.Text == "" || in.ResponseURL == "" {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
		defer cancel()
		if err := c.respond(ctx, in.ResponseURL, r); err != nil {
			c.log.Warn("slack reply failed", "incident", in.IncidentID, "user", in.UserID, "err", c.redact(err))
		}
	}()
}

// respond posts reply to a response_url, but only to Slack's hosts (or
// those allowed by WithResponseHosts): the URL arrives in the request, and
// even a verified request should not make firebreak post anywhere else.
func (c *Client) respond(ctx context.Context, responseURL string, reply Reply) error {
	u, err := url.Parse(responseURL)
	if err != nil {
		return errors.New("reply: unparseable response_url")
	}
	allowed := c.responseHosts[u.Host] && (u.Scheme == "http" || u.Scheme == "https")
	if !allowed && u.Scheme == "https" && u.Port() == "" {
		host := u.Hostname()
		allowed = host == "slack.com" || strings.HasSuffix(host, ".slack.com")
	}
	if !allowed {
		return fmt.Errorf("reply: response_url host %q is not Slack's", u.Host)
	}
	msg := &slack.WebhookMessage{Text: escape(reply.Text), ReplaceOriginal: reply.Replace}
	if !reply.Replace {
		msg.ResponseType = slack.ResponseTypeEphemeral
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, c.hc, msg); err != nil {
		// The URL's path is a capability: keep it out of logs.
		msg := strings.ReplaceAll(err.Error(), responseURL, u.Scheme+"://"+u.Host+"/…")
		return fmt.Errorf("reply to %s: %s", u.Host, strings.ReplaceAll(msg, u.EscapedPath(), "/…"))
	}
	return nil
}

func (c *Client) refuse(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
	if c.counter != nil {
		c.counter.Refused(reason)
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	c.log.Warn("slack interaction refused", "reason", reason, "remote", host, "status", status, "err", c.redact(err))
	http.Error(w, http.StatusText(status), status)
}
