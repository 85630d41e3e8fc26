package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"
)

// envelope wraps an interaction form body the way Socket Mode delivers it.
func envelope(t *testing.T, id string, form []byte) string {
	t.Helper()
	vals, err := url.ParseQuery(string(form))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(map[string]any{
		"envelope_id":              id,
		"type":                     "interactive",
		"accepts_response_payload": false,
		"payload":                  json.RawMessage(vals.Get("payload")),
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestRunSocketMode(t *testing.T) {
	f := newFakeSlack(t)
	ctr := &countRefusals{}
	c, err := New(Config{BotToken: testBotToken, AppToken: "xapp-1-test-secret", APIURL: f.srv.GetAPIURL()},
		slog.New(slog.DiscardHandler), WithCounter(ctr))
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDecider{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// slacktest hands what the client writes to an unbuffered feed; drain it.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-f.srv.SeenFeed:
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- c.RunSocketMode(ctx, d) }()

	f.srv.SendToWebsocket(`{"type":"hello","num_connections":1}`)
	f.srv.SendToWebsocket(envelope(t, "env-approve", interactionBody(t, "block_actions", ActionApprove, testValue, "")))
	f.srv.SendToWebsocket(envelope(t, "env-modal", interactionBody(t, "view_submission", ActionApprove, testValue, "")))

	acked := func(id string) bool {
		for _, m := range f.srv.GetSeenInboundMessages() {
			if strings.Contains(m, `"envelope_id":"`+id+`"`) {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(15 * time.Second)
	for !(acked("env-approve") && acked("env-modal")) || len(ctr.got()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("envelopes not acknowledged: inbound %v, refusals %v", f.srv.GetSeenInboundMessages(), ctr.got())
		}
		select {
		case err := <-done:
			t.Fatalf("RunSocketMode returned early: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	d.mu.Lock()
	calls := append([]Interaction(nil), d.calls...)
	d.mu.Unlock()
	if len(calls) != 1 || calls[0].Decision != DecisionApprove || calls[0].IncidentID != "pool-exhaustion/3f2a9c1e" {
		t.Errorf("decider calls = %+v, want the one approval", calls)
	}
	if got := ctr.got(); len(got) != 1 || got[0] != RefusedNotApproval {
		t.Errorf("refusals = %v", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunSocketMode after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("RunSocketMode did not return after cancel")
	}
}

func TestRunSocketModeNeedsAppToken(t *testing.T) {
	c, err := New(Config{BotToken: testBotToken}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RunSocketMode(context.Background(), &fakeDecider{}); err == nil {
		t.Fatal("RunSocketMode without an app token succeeded")
	}
}
