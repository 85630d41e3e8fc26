package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode receives interactions over Slack's Socket Mode (Config.AppToken)
// instead of the public request URL, for teams without an inbound endpoint.
// Every envelope is acknowledged; approval clicks go to d exactly as through
// InteractionHandler (the connection is authenticated by the app token, so
// no signature applies). It returns when ctx ends or the connection cannot
// be re-established.
func (c *Client) RunSocketMode(ctx context.Context, d Decider) error {
	if c.cfg.AppToken == "" {
		return errors.New("slack socket mode: no app token configured")
	}
	sm := socketmode.New(c.api, socketmode.OptionLog(slog.NewLogLogger(c.log.Handler(), slog.LevelDebug)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				c.socketEvent(ctx, sm, d, evt)
			}
		}
	})
	err := sm.RunContext(ctx)
	stopped := ctx.Err() != nil
	cancel()
	wg.Wait()
	if stopped {
		// RunContext only ever returns an error; after ctx ends it is ctx's.
		return nil
	}
	return fmt.Errorf("slack socket mode: %w", c.redact(err))
}

func (c *Client) socketEvent(ctx context.Context, sm *socketmode.Client, d Decider, evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		if err := sm.Ack(*evt.Request); err != nil {
			c.log.Warn("slack socket mode ack failed", "type", evt.Type, "err", c.redact(err))
		}
	}
	switch evt.Type {
	case socketmode.EventTypeInteractive:
	case socketmode.EventTypeInvalidAuth:
		c.log.Error("slack socket mode: invalid app token")
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
		c.log.Warn("slack socket mode connection trouble", "type", evt.Type)
		return
	default:
		return
	}
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok {
		c.refuseSocket(RefusedMalformed, errors.New("interactive event without a callback"))
		return
	}
	in, err := fromCallback(cb)
	if err != nil {
		reason := RefusedMalformed
		if errors.Is(err, ErrNotApproval) {
			reason = RefusedNotApproval
		}
		c.refuseSocket(reason, err)
		return
	}
	c.reply(in, c.decide(ctx, d, in))
}

func (c *Client) refuseSocket(reason string, err error) {
	if c.counter != nil {
		c.counter.Refused(reason)
	}
	c.log.Warn("slack socket mode interaction refused", "reason", reason, "err", c.redact(err))
}
