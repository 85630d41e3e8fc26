package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// sign returns Slack's v0 signature of body at ts under secret.
func sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%d:", ts)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// interactionBody builds the form body Slack posts for one button click.
func interactionBody(t testing.TB, typ, actionID, value, responseURL string) []byte {
	t.Helper()
	payload := map[string]any{
		"type":         typ,
		"user":         map[string]any{"id": "U012ABCDEF", "username": "alice", "name": "alice", "team_id": "T0FIRE"},
		"team":         map[string]any{"id": "T0FIRE", "domain": "firebreak"},
		"channel":      map[string]any{"id": "C0INCIDENTS", "name": "incidents"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000102", "channel_id": "C0INCIDENTS"},
		"response_url": responseURL,
		"trigger_id":   "123.456.abc",
		"actions": []any{map[string]any{
			"type": "button", "action_id": actionID, "block_id": approvalBlockID, "value": value,
			"text": map[string]any{"type": "plain_text", "text": "Approve"}, "action_ts": "1700000001.000001",
		}},
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(url.Values{"payload": {string(raw)}}.Encode())
}

const testValue = `{"incident_id":"pool-exhaustion/3f2a9c1e","approval_id":"grow_pool-1"}`

type fakeDecider struct {
	mu    sync.Mutex
	calls []Interaction
	reply Reply
	err   error
}

func (d *fakeDecider) Decide(_ context.Context, in Interaction) (Reply, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, in)
	return d.reply, d.err
}

type countRefusals struct {
	mu      sync.Mutex
	reasons []string
}

func (c *countRefusals) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reasons...)
}

func (c *countRefusals) Refused(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reasons = append(c.reasons, reason)
}

// replies is a response_url endpoint recording what the handler answered.
type replies struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []map[string]any
}

func newReplies(t *testing.T) *replies {
	r := &replies{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(req.Body).Decode(&m)
		r.mu.Lock()
		r.msgs = append(r.msgs, m)
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// await polls until n replies arrived or a deadline passes, and returns
// what arrived (the caller asserts on it).
func (r *replies) await(t *testing.T, n int) []map[string]any {
	t.Helper()
	assert.Eventually(t, func() bool { return len(r.got()) >= n }, 10*time.Second, 5*time.Millisecond, "%d replies", n)
	return r.got()
}

func (r *replies) got() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.msgs...)
}

func TestInteractionHandler(t *testing.T) {
	rep := newReplies(t)
	respURL := rep.srv.URL + "/actions/T0FIRE/1/abcdef"
	valid := interactionBody(t, "block_actions", ActionApprove, testValue, respURL)
	now := time.Now()
	tests := []struct {
		name        string
		method      string
		body        []byte
		ts          int64
		sig         func(body []byte, ts int64) string
		noHeaders   bool
		wantStatus  int
		wantReason  string
		wantDecided bool
	}{
		{name: "valid click", body: valid, wantStatus: 200, wantDecided: true},
		{name: "deny click", body: interactionBody(t, "block_actions", ActionDeny, testValue, respURL), wantStatus: 200, wantDecided: true},
		{name: "bad signature", body: valid, sig: func(b []byte, ts int64) string { return sign("not-the-secret", ts, b) }, wantStatus: 401, wantReason: RefusedBadSignature},
		{name: "signature of another body", body: valid, sig: func(_ []byte, ts int64) string { return sign(testSecret, ts, []byte("payload=x")) }, wantStatus: 401, wantReason: RefusedBadSignature},
		{name: "garbage signature", body: valid, sig: func([]byte, int64) string { return "v0=zz" }, wantStatus: 401, wantReason: RefusedBadSignature},
		{name: "older than five minutes", body: valid, ts: now.Add(-ReplayWindow - time.Minute).Unix(), wantStatus: 401, wantReason: RefusedStale},
		{name: "future timestamp", body: valid, ts: now.Add(ReplayWindow + time.Minute).Unix(), wantStatus: 401, wantReason: RefusedStale},
		{name: "missing headers", body: valid, noHeaders: true, wantStatus: 401, wantReason: RefusedMissingHeaders},
		{name: "oversized", body: []byte("payload=" + strings.Repeat("a", MaxInteractionBytes)), wantStatus: 413, wantReason: RefusedTooLarge},
		{name: "not block_actions", body: interactionBody(t, "view_submission", ActionApprove, testValue, respURL), wantStatus: 400, wantReason: RefusedNotApproval},
		{name: "another action", body: interactionBody(t, "block_actions", "other_app_button", testValue, respURL), wantStatus: 400, wantReason: RefusedNotApproval},
		{name: "value not ours", body: interactionBody(t, "block_actions", ActionApprove, `{"incident_id":""}`, respURL), wantStatus: 400, wantReason: RefusedMalformed},
		{name: "no payload", body: []byte("foo=bar"), wantStatus: 400, wantReason: RefusedMalformed},
		{name: "GET", method: http.MethodGet, body: valid, wantStatus: 405, wantReason: RefusedMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctr := &countRefusals{}
			c, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret}, slog.New(slog.DiscardHandler),
				WithCounter(ctr), WithResponseHosts(strings.TrimPrefix(rep.srv.URL, "http://")))
			if err != nil {
				t.Fatal(err)
			}
			d := &fakeDecider{reply: Reply{Text: "approval 1 of 2 recorded"}}
			ts := tt.ts
			if ts == 0 {
				ts = now.Unix()
			}
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/slack/interactions", strings.NewReader(string(tt.body)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if !tt.noHeaders {
				sig := sign(testSecret, ts, tt.body)
				if tt.sig != nil {
					sig = tt.sig(tt.body, ts)
				}
				req.Header.Set(headerTimestamp, strconv.FormatInt(ts, 10))
				req.Header.Set(headerSignature, sig)
			}
			before := len(rep.got())
			w := httptest.NewRecorder()
			c.InteractionHandler(d).ServeHTTP(w, req)

			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tt.wantStatus)
			}
			if got := len(d.calls); (got == 1) != tt.wantDecided || got > 1 {
				t.Errorf("decider called %d times, want decided=%v", got, tt.wantDecided)
			}
			if tt.wantReason == "" {
				if len(ctr.reasons) != 0 {
					t.Errorf("counted refusals %v", ctr.reasons)
				}
			} else if len(ctr.reasons) != 1 || ctr.reasons[0] != tt.wantReason {
				t.Errorf("refusals %v, want [%s]", ctr.reasons, tt.wantReason)
			}
			if !tt.wantDecided {
				if n := len(rep.got()) - before; n != 0 {
					t.Errorf("refused request got %d replies", n)
				}
				return
			}
			in := d.calls[0]
			if in.IncidentID != "pool-exhaustion/3f2a9c1e" || in.ApprovalID != "grow_pool-1" || in.UserID != "U012ABCDEF" ||
				in.Channel != "C0INCIDENTS" || in.MessageTS != "1700000000.000102" || in.TeamID != "T0FIRE" {
				t.Errorf("interaction = %+v", in)
			}
			msgs := rep.await(t, before+1)[before:]
			if len(msgs) != 1 || msgs[0]["text"] != "approval 1 of 2 recorded" || msgs[0]["response_type"] != "ephemeral" {
				t.Errorf("replies = %v", msgs)
			}
		})
	}
}

func TestInteractionHandlerDeciderError(t *testing.T) {
	rep := newReplies(t)
	c, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret}, slog.New(slog.DiscardHandler),
		WithResponseHosts(strings.TrimPrefix(rep.srv.URL, "http://")))
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDecider{err: errors.New("signal workflow: not found")}
	body := interactionBody(t, "block_actions", ActionApprove, testValue, rep.srv.URL+"/actions/1")
	ts := time.Now().Unix()
	req := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(string(body)))
	req.Header.Set(headerTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(headerSignature, sign(testSecret, ts, body))
	w := httptest.NewRecorder()
	c.InteractionHandler(d).ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Errorf("status %d, want 200 (Slack shows an error icon otherwise)", w.Code)
	}
	msgs := rep.await(t, 1)
	if len(msgs) != 1 || msgs[0]["text"] != escape(couldNotRecord) || strings.Contains(fmt.Sprint(msgs[0]), "not found") {
		t.Errorf("replies = %v", msgs)
	}
}

func TestRespondOnlyToSlack(t *testing.T) {
	rep := newReplies(t)
	c, err := New(Config{BotToken: testBotToken}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{rep.srv.URL + "/x", "http://hooks.slack.com/actions/x", "https://hooks.slack.com.evil.example/x", "https://hooks.slack.com:8443/x", "::"} {
		if err := c.respond(context.Background(), u, Reply{Text: "hi"}); err == nil {
			t.Errorf("respond(%q) succeeded", u)
		}
	}
	if n := len(rep.got()); n != 0 {
		t.Errorf("%d replies reached a non-Slack host", n)
	}
}

func TestVerifyErrors(t *testing.T) {
	c, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("payload=%7B%7D")
	now := time.Now()
	hdr := func(ts, sig string) http.Header {
		h := http.Header{}
		if ts != "" {
			h.Set(headerTimestamp, ts)
		}
		if sig != "" {
			h.Set(headerSignature, sig)
		}
		return h
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name string
		h    http.Header
		want error
	}{
		{"ok", hdr(ts, sign(testSecret, now.Unix(), body)), nil},
		{"no timestamp", hdr("", sign(testSecret, now.Unix(), body)), ErrMissingHeaders},
		{"no signature", hdr(ts, ""), ErrMissingHeaders},
		{"timestamp not a number", hdr("yesterday", "v0=00"), ErrStale},
		{"edge of window", hdr(strconv.FormatInt(now.Add(-ReplayWindow+5*time.Second).Unix(), 10), sign(testSecret, now.Add(-ReplayWindow+5*time.Second).Unix(), body)), nil},
		{"stale", hdr(strconv.FormatInt(now.Add(-time.Hour).Unix(), 10), sign(testSecret, now.Add(-time.Hour).Unix(), body)), ErrStale},
		{"no v0 prefix", hdr(ts, strings.TrimPrefix(sign(testSecret, now.Unix(), body), "v0=")), ErrBadSignature},
		{"short signature", hdr(ts, "v0=abcd"), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Verify(tt.h, body, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), testSecret) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
	if err := (&Client{}).Verify(hdr(ts, "v0=00"), body, now); err == nil {
		t.Error("Verify without a signing secret succeeded")
	}
}
