package slack

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// TestFaults puts Toxiproxy between the client and slacktest: a Slack that
// answers after 10 s must fail each call within the client's timeout after
// one attempt, and a Slack that is down must fail fast. Neither is final:
// the caller's retries (Temporal's) may try again.
func TestFaults(t *testing.T) {
	const attemptTimeout = 300 * time.Millisecond
	tests := []struct {
		name       string
		fault      string // "slow" or "down"
		call       string // "post" (not idempotent) or "update"
		wantCalls  int    // requests slacktest saw
		wantWithin time.Duration
	}{
		{name: "slow post is not repeated", fault: "slow", call: "post", wantCalls: 1, wantWithin: 3 * time.Second},
		{name: "slow update is not repeated", fault: "slow", call: "update", wantCalls: 1, wantWithin: 3 * time.Second},
		{name: "down post fails fast", fault: "down", call: "post", wantCalls: 0, wantWithin: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			listen, proxy := testutil.Proxy(t, f.srv.ServerAddr)
			switch tt.fault {
			case "slow":
				testutil.AddLatency(t, proxy, 10*time.Second)
			case "down":
				proxy.Stop()
			}
			c, err := New(Config{BotToken: testBotToken, APIURL: "http://" + listen + "/"}, slog.New(slog.DiscardHandler),
				WithTimeout(attemptTimeout))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			switch tt.call {
			case "post":
				_, err = c.PostIncident(ctx, "C0INCIDENTS", testIncident())
			case "update":
				err = c.UpdateIncident(ctx, MessageRef{Channel: "C0INCIDENTS", TS: "1700000000.000101"}, testIncident())
			}
			took := time.Since(start)
			if err == nil {
				t.Fatal("call through the fault succeeded")
			}
			if took > tt.wantWithin {
				t.Errorf("call took %s, want under %s", took, tt.wantWithin)
			}
			method := map[string]string{"post": "chat.postMessage", "update": "chat.update"}[tt.call]
			assert.Eventually(t, func() bool { return len(f.Calls(method)) >= tt.wantCalls }, 5*time.Second, 10*time.Millisecond)
			if n := len(f.Calls(method)); n != tt.wantCalls {
				t.Errorf("slack saw %d %s calls, want %d", n, method, tt.wantCalls)
			}
			var se *Error
			if !errors.As(err, &se) || se.Permanent() {
				t.Errorf("error %v: want a *slack.Error that is not final", err)
			}
		})
	}
}
