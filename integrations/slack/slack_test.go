package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

const testBotToken = "xoxb-test-0123456789-secret"

// fakeSlack is slacktest's server with the methods firebreak uses that
// slacktest does not answer itself, recording every call.
type fakeSlack struct {
	srv *slacktest.Server

	mu       sync.Mutex
	calls    []apiCall
	limited  map[string]int // method → how many more calls answer 429
	retryAft string         // the Retry-After header of those answers
	apiError string         // when set, chat.postMessage answers "ok": false with it
	groups   map[string][]string
	nextTS   int
}

type apiCall struct {
	Method string
	Form   url.Values
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{limited: map[string]int{}, groups: map[string][]string{}, retryAft: "1", nextTS: 100}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.handle("chat.postMessage"))
		c.Handle("/chat.update", f.handle("chat.update"))
		c.Handle("/usergroups.users.list", f.handle("usergroups.users.list"))
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) handle(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, apiCall{Method: method, Form: form})
		if f.limited[method] > 0 {
			f.limited[method]--
			w.Header().Set("Retry-After", f.retryAft)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if f.apiError != "" && method == "chat.postMessage" {
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": f.apiError})
			return
		}
		switch method {
		case "chat.postMessage":
			f.nextTS++
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": form.Get("channel"), "ts": fmt.Sprintf("1700000000.%06d", f.nextTS)})
		case "chat.update":
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts")})
		case "usergroups.users.list":
			users, ok := f.groups[form.Get("usergroup")]
			if !ok {
				_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "no_such_subteam"})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "users": users})
		}
	}
}

func (f *fakeSlack) Calls(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func newTestClient(t *testing.T, f *fakeSlack, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithTimeout(5 * time.Second)}, opts...)
	c, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret, APIURL: f.srv.GetAPIURL()}, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testIncident() IncidentMessage {
	return IncidentMessage{
		IncidentID:   "pool-exhaustion/3f2a9c1e",
		Runbook:      "pool-exhaustion",
		Title:        "PgBouncerPoolExhausted",
		Severity:     "critical",
		Summary:      "Clients waiting on pgbouncer pool app <script> & friends",
		Phase:        "verifying",
		Diagnosis:    []Field{{Name: "waiting_clients", Value: "42"}, {Name: "pool_size", Value: "20"}},
		Actions:      []string{"grow_pool pgbouncer_pool_size app: 20 → 30 (applied)"},
		TimelineURL:  "http://127.0.0.1:8233/namespaces/default/workflows/pool-exhaustion%2F3f2a9c1e",
		GeneratorURL: "http://127.0.0.1:9090/graph?g0.expr=cl_waiting+%3E+0",
	}
}

func testApproval() ApprovalRequest {
	return ApprovalRequest{
		IncidentID:   "pool-exhaustion/3f2a9c1e",
		ApprovalID:   "grow_pool-1",
		Remediation:  "grow_pool",
		Actions:      []string{"pgbouncer_pool_size app: 20 → 30"},
		Approvers:    []string{"U012ABCDEF", "S0DBAONCALL"},
		MinApprovals: 2,
		Expires:      time.Date(2026, 11, 23, 12, 45, 0, 0, time.UTC),
	}
}

// blocksText is the blocks form field with JSON's HTML escaping undone, so
// tests can look for Slack's own escapes and mentions.
func blocksText(t *testing.T, form url.Values) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(form.Get("blocks")), &v); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// decodeBlocks reads the blocks form field as generic JSON.
func decodeBlocks(t *testing.T, form url.Values) []map[string]any {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(form.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks %q: %v", form.Get("blocks"), err)
	}
	return blocks
}

func TestPostUpdateThread(t *testing.T) {
	f := newFakeSlack(t)
	c := newTestClient(t, f)
	ctx := context.Background()

	ref, err := c.PostIncident(ctx, "C0INCIDENTS", testIncident())
	if err != nil {
		t.Fatal(err)
	}
	if ref.Channel != "C0INCIDENTS" || ref.TS == "" {
		t.Fatalf("ref = %+v", ref)
	}
	posted := f.Calls("chat.postMessage")
	if len(posted) != 1 {
		t.Fatalf("%d posts, want 1", len(posted))
	}
	blocks := decodeBlocks(t, posted[0].Form)
	if blocks[0]["type"] != "header" {
		t.Errorf("first block %v, want header", blocks[0]["type"])
	}
	raw := blocksText(t, posted[0].Form)
	for _, want := range []string{"PgBouncerPoolExhausted", "&lt;script&gt; &amp; friends", "waiting_clients", "|Timeline>", "|Alert source>"} {
		if !strings.Contains(raw, want) {
			t.Errorf("header blocks lack %q", want)
		}
	}
	if strings.Contains(raw, "<script>") {
		t.Error("alert text reached Slack unescaped")
	}

	m := testIncident()
	m.Phase, m.Outcome, m.Reason = "awaiting_resolution", OutcomeResolved, "verification passed"
	if err := c.UpdateIncident(ctx, ref, m); err != nil {
		t.Fatal(err)
	}
	upd := f.Calls("chat.update")
	if len(upd) != 1 || upd[0].Form.Get("ts") != ref.TS || upd[0].Form.Get("channel") != ref.Channel {
		t.Fatalf("updates = %+v", upd)
	}
	if !strings.Contains(upd[0].Form.Get("blocks"), "verification passed") {
		t.Error("update lacks the reason")
	}

	th, err := c.PostThread(ctx, ref, "pool grown 20 → 30 <!channel>")
	if err != nil {
		t.Fatal(err)
	}
	posted = f.Calls("chat.postMessage")
	if len(posted) != 2 || posted[1].Form.Get("thread_ts") != ref.TS || th.TS == ref.TS {
		t.Fatalf("thread post = %+v, ref %+v", posted[len(posted)-1].Form, th)
	}
	if got := posted[1].Form.Get("text"); got != "pool grown 20 → 30 &lt;!channel&gt;" {
		t.Errorf("thread text %q", got)
	}
}

func TestApprovalButtonsAndReplace(t *testing.T) {
	f := newFakeSlack(t)
	c := newTestClient(t, f)
	ctx := context.Background()
	parent := MessageRef{Channel: "C0INCIDENTS", TS: "1700000000.000001"}

	ref, err := c.PostApproval(ctx, parent, testApproval())
	if err != nil {
		t.Fatal(err)
	}
	posted := f.Calls("chat.postMessage")
	if len(posted) != 1 || posted[0].Form.Get("thread_ts") != parent.TS {
		t.Fatalf("approval not threaded: %+v", posted)
	}
	var got []string
	for _, b := range decodeBlocks(t, posted[0].Form) {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			el := e.(map[string]any)
			var v buttonValue
			if err := json.Unmarshal([]byte(el["value"].(string)), &v); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %s %s %s", el["action_id"], el["style"], v.IncidentID, v.ApprovalID))
		}
	}
	want := []string{
		"firebreak_approve primary pool-exhaustion/3f2a9c1e grow_pool-1",
		"firebreak_deny danger pool-exhaustion/3f2a9c1e grow_pool-1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("buttons:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if raw := blocksText(t, posted[0].Form); !strings.Contains(raw, "<!subteam^S0DBAONCALL>") || !strings.Contains(raw, "needs 2 approvals") {
		t.Errorf("approval context lacks approvers or quorum: %s", raw)
	}

	at := time.Date(2026, 11, 23, 12, 40, 0, 0, time.UTC)
	err = c.ReplaceApproval(ctx, ref, "approved", []Decision{
		{UserID: "U012ABCDEF", Decision: DecisionApprove, At: at},
		{UserID: "cli:alice", UserName: "alice (firebreak approve)", Decision: DecisionApprove, At: at.Add(time.Minute)},
	})
	if err != nil {
		t.Fatal(err)
	}
	upd := f.Calls("chat.update")
	if len(upd) != 1 || upd[0].Form.Get("ts") != ref.TS {
		t.Fatalf("replace = %+v", upd)
	}
	raw := blocksText(t, upd[0].Form)
	for _, b := range decodeBlocks(t, upd[0].Form) {
		if b["type"] == "actions" {
			t.Error("decided approval still has buttons")
		}
	}
	for _, want := range []string{"<@U012ABCDEF> approved <!date^1795437600^", "alice (firebreak approve) approved"} {
		if !strings.Contains(raw, want) {
			t.Errorf("replacement lacks %q: %s", want, raw)
		}
	}
}

func TestResolveApprovers(t *testing.T) {
	f := newFakeSlack(t)
	f.groups["S0DBAONCALL"] = []string{"U0DBA1", "U0DBA2"}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := newTestClient(t, f, WithClock(func() time.Time { return now }))
	ctx := context.Background()

	got, err := c.ResolveApprovers(ctx, []string{"U012ABCDEF", "W0ENTERPRISE", "S0DBAONCALL"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"U012ABCDEF": true, "W0ENTERPRISE": true, "U0DBA1": true, "U0DBA2": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("approvers = %v, want %v", got, want)
	}
	if _, err := c.ResolveApprovers(ctx, []string{"S0DBAONCALL"}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Calls("usergroups.users.list")); n != 1 {
		t.Errorf("%d group lookups within the cache TTL, want 1", n)
	}
	now = now.Add(DefaultApproverCacheTTL + time.Second)
	f.mu.Lock()
	f.groups["S0DBAONCALL"] = []string{"U0DBA3"}
	f.mu.Unlock()
	got, err = c.ResolveApprovers(ctx, []string{"S0DBAONCALL"})
	if err != nil {
		t.Fatal(err)
	}
	if !got["U0DBA3"] || got["U0DBA1"] || len(f.Calls("usergroups.users.list")) != 2 {
		t.Errorf("after the TTL: %v with %d lookups", got, len(f.Calls("usergroups.users.list")))
	}

	for _, bad := range []string{"S0NOSUCHGROUP", "alice", ""} {
		if _, err := c.ResolveApprovers(ctx, []string{bad}); err == nil {
			t.Errorf("ResolveApprovers(%q) succeeded", bad)
		}
	}
}

// TestOneAttemptPerCall: the client never retries (Temporal does, above
// it); a failure says what Slack answered, so the caller can honour a rate
// limit's Retry-After and give up at once on what no repeat can change.
func TestOneAttemptPerCall(t *testing.T) {
	tests := []struct {
		name      string
		limited   int
		apiError  string
		wantErr   bool
		wantWait  time.Duration
		wantFinal bool
	}{
		{name: "ok", limited: 0},
		{name: "429 carries Retry-After", limited: 10, wantErr: true, wantWait: 2 * time.Second},
		{name: "invalid token is final", apiError: "invalid_auth", wantErr: true, wantFinal: true},
		{name: "unknown channel is final", apiError: "channel_not_found", wantErr: true, wantFinal: true},
		{name: "internal error may pass later", apiError: "internal_error", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			f.limited["chat.postMessage"] = tt.limited
			f.retryAft = "2"
			f.apiError = tt.apiError
			c := newTestClient(t, f)
			_, err := c.PostIncident(context.Background(), "C0INCIDENTS", testIncident())
			if n := len(f.Calls("chat.postMessage")); n != 1 {
				t.Errorf("%d calls, want exactly 1", n)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if strings.Contains(err.Error(), testBotToken) {
				t.Errorf("error leaks the token: %v", err)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *slack.Error", err, err)
			}
			if wait, ok := se.RetryAfter(); wait != tt.wantWait || ok != (tt.wantWait > 0) {
				t.Errorf("RetryAfter = %s, %t; want %s", wait, ok, tt.wantWait)
			}
			if se.Permanent() != tt.wantFinal {
				t.Errorf("Permanent = %t, want %t (%v)", se.Permanent(), tt.wantFinal, err)
			}
		})
	}
}

func TestGolden(t *testing.T) {
	approval, err := ApprovalBlocks(testApproval())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 12, 40, 0, 0, time.UTC)
	resolved := testIncident()
	resolved.Phase, resolved.Outcome, resolved.Reason = "awaiting_resolution", OutcomeResolved, "verification passed: cl_waiting == 0 for 2m"
	for name, blocks := range map[string][]slack.Block{
		"incident_header.json":   IncidentBlocks(testIncident()),
		"incident_resolved.json": IncidentBlocks(resolved),
		"approval.json":          approval,
		"approval_decided.json": DecisionBlocks("approved", []Decision{
			{UserID: "U012ABCDEF", Decision: DecisionApprove, At: at},
			{UserID: "U0DBA1", Decision: DecisionApprove, At: at.Add(time.Minute)},
		}),
	} {
		t.Run(name, func(t *testing.T) {
			// Round-trip through any so that the golden file shows <, > and &
			// as Slack reads them (slack-go's marshalers escape them).
			raw, err := json.Marshal(map[string]any{"blocks": blocks})
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (run with -update):\n%s", name, got)
			}
		})
	}
}

func TestNewRequiresToken(t *testing.T) {
	if _, err := New(Config{}, nil); err == nil {
		t.Fatal("New without a bot token succeeded")
	}
}

// TestDocShowsGolden keeps docs/escalation.md showing exactly what the
// builders produce.
func TestDocShowsGolden(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "escalation.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"incident_header.json", "incident_resolved.json", "approval.json", "approval_decided.json"} {
		golden, err := os.ReadFile(filepath.Join("testdata", "golden", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(doc, []byte("```json\n"+string(golden)+"```")) {
			t.Errorf("docs/escalation.md does not show testdata/golden/%s verbatim", name)
		}
	}
}
