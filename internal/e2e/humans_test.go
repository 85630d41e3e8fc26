package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
	"github.com/firebreak-dev/firebreak/integrations/slack"
	"github.com/firebreak-dev/firebreak/internal/approvals"
	"github.com/firebreak-dev/firebreak/internal/cli"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/internal/secrets"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
	"github.com/firebreak-dev/firebreak/workflows"
)

const (
	signingSecret = "e2e-signing-secret-0123456789abcdef"
	routingKey    = "R0123456789ABCDEF0123456789ABCDE" // 32 characters, like PagerDuty's
	allowedUser   = "U0ALLOWED"
	groupMember   = "U0MEMBER"
	stranger      = "U0STRANGER"
)

// slackWorkspace is slacktest's server answering what firebreak calls, and
// recording every message it was sent.
type slackWorkspace struct {
	srv *slacktest.Server

	mu    sync.Mutex
	posts []url.Values
	ts    int
}

func startSlack(t *testing.T) *slackWorkspace {
	w := &slackWorkspace{}
	w.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", w.handle("post"))
		c.Handle("/chat.update", w.handle("update"))
		c.Handle("/usergroups.users.list", func(rw http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			rw.Header().Set("Content-Type", "application/json")
			if r.Form.Get("usergroup") == "S0ONCALL" {
				_ = json.NewEncoder(rw).Encode(map[string]any{"ok": true, "users": []string{groupMember}})
				return
			}
			_ = json.NewEncoder(rw).Encode(map[string]any{"ok": false, "error": "no_such_subteam"})
		})
	})
	w.srv.Start()
	t.Cleanup(w.srv.Stop)
	return w
}

// client is a Slack client of this workspace with the e2e signing secret.
func (w *slackWorkspace) client(t *testing.T, log *slog.Logger) *slack.Client {
	t.Helper()
	sc, err := slack.New(slack.Config{BotToken: "xoxb-e2e", SigningSecret: signingSecret, APIURL: w.srv.GetAPIURL()}, log)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func (w *slackWorkspace) handle(kind string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.mu.Lock()
		form := r.Form
		form.Set("_kind", kind)
		w.posts = append(w.posts, form)
		w.ts++
		ts := fmt.Sprintf("1700000000.%06d", w.ts)
		if kind == "update" {
			ts = r.Form.Get("ts")
		}
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(map[string]any{"ok": true, "channel": r.Form.Get("channel"), "ts": ts})
	}
}

// find returns the messages whose blocks or text contain s.
func (w *slackWorkspace) find(kind, s string) []url.Values {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []url.Values
	for _, p := range w.posts {
		if p.Get("_kind") == kind && (strings.Contains(p.Get("blocks"), s) || strings.Contains(p.Get("text"), s)) {
			out = append(out, p)
		}
	}
	return out
}

// replies collects what firebreak answers clickers through response_url.
type replies struct {
	mu   sync.Mutex
	text []string
	srv  *httptest.Server
}

func startReplies(t *testing.T) *replies {
	r := &replies{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.text = append(r.text, string(b))
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *replies) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.text, "\n")
}

// click posts a signed block_actions interaction, as Slack does when user
// presses a button on the approval message.
func click(t *testing.T, addr, user, decision, incidentID, approvalID, responseURL string, signedAt time.Time, secret string) int {
	t.Helper()
	value, _ := json.Marshal(map[string]string{"incident_id": incidentID, "approval_id": approvalID})
	actionID := slack.ActionApprove
	if decision == "deny" {
		actionID = slack.ActionDeny
	}
	payload, _ := json.Marshal(map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T0FIRE"},
		"team":         map[string]any{"id": "T0FIRE"},
		"channel":      map[string]any{"id": "C0ONCALL"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000002", "channel_id": "C0ONCALL"},
		"response_url": responseURL,
		"actions": []any{map[string]any{
			"type": "button", "action_id": actionID, "block_id": "firebreak_approval", "value": string(value), "action_ts": "1700000001.000001",
		}},
	})
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	ts := signedAt.Unix()
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%d:", ts)
	m.Write(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/interactions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", fmt.Sprint(ts))
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// humans is firebreak with Slack (slacktest) and PagerDuty (the contract
// server), a real PgBouncer to act on and a real Temporal server.
type humans struct {
	eng     *engine.Engine
	slack   *slackWorkspace
	pd      *pdserver.Server
	replies *replies
	bouncer *testutil.PgBouncer
}

func startHumans(t *testing.T) *humans {
	pg := testutil.StartPostgres(t)
	b := testutil.StartPgBouncer(t, pg, testutil.PgBouncerOptions{Database: poolDatabase, PoolSize: startPool})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pgbouncer_admin"), []byte(b.AdminDSN()), 0o600); err != nil {
		t.Fatal(err)
	}
	ws := startSlack(t)
	rep := startReplies(t)
	pd := pdserver.Start(t)
	m := metrics.New()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sc, err := slack.New(slack.Config{BotToken: "xoxb-e2e", SigningSecret: signingSecret, APIURL: ws.srv.GetAPIURL()}, quiet,
		slack.WithCounter(engine.SlackRefusals{Metrics: m}), slack.WithResponseHosts(strings.TrimPrefix(rep.srv.URL, "http://")))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := pagerduty.New(pagerduty.Config{RoutingKey: routingKey, EventsURL: pd.URL}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv := devservertest.StartForTest(t)
	eng := startEngine(t, srv, engine.Options{
		Runbooks:  loadRunbooks(t, filepath.Join("testdata", "runbooks", "humans")),
		Secrets:   secrets.Source{Dir: dir},
		Settings:  workflows.Settings{Linger: 10 * time.Minute},
		Slack:     sc,
		Chat:      &escalate.SlackChat{Client: sc},
		Pager:     &escalate.PagerDutyPager{Services: map[string]*pagerduty.Client{"payments": pc}},
		Operators: []approvals.Operator{{Name: "oncall", Token: "operator-token-0123456789"}},
		Metrics:   m,
		Log:       quiet,
	})
	return &humans{eng: eng, slack: ws, pd: pd, replies: rep, bouncer: b}
}

func (h *humans) fire(t *testing.T, service, status string) string {
	t.Helper()
	body := alertBody("PaymentsPoolExhausted", service)
	if status == "resolved" {
		body = bytes.ReplaceAll(body, []byte(`"firing"`), []byte(`"resolved"`))
	}
	a := post(t, "http://"+h.eng.Addr()+"/webhook/alertmanager", body)
	if a.code != http.StatusOK || len(a.body.IncidentIDs) != 1 {
		t.Fatalf("webhook: %d %s", a.code, a.raw)
	}
	return a.body.IncidentIDs[0]
}

func (h *humans) waitState(t *testing.T, id, what string, cond func(incident.State) bool) incident.State {
	t.Helper()
	var st incident.State
	testutil.PollUntil(t, 60*time.Second, what, func() (bool, error) {
		var err error
		st, err = incidentState(t, h.eng.Client(), id)
		if err != nil {
			return false, err
		}
		return cond(st), fmt.Errorf("phase %s, outcome %q", st.Phase, st.Outcome)
	})
	return st
}

// TestSlackApproval: an incident that needs approval posts buttons in its
// Slack thread; forged, stale and unlisted clicks are refused and leave it
// waiting; an allowlisted click resumes it and the action runs.
func TestSlackApproval(t *testing.T) {
	h := startHumans(t)
	id := h.fire(t, "checkout", "firing")
	st := h.waitState(t, id, "approval requested in Slack", func(st incident.State) bool {
		return st.Approval != nil && st.Approval.Message != nil
	})
	if len(h.slack.find("post", "firebreak_approve")) != 1 || len(h.slack.find("post", id)) == 0 {
		t.Fatalf("want one approval message with buttons and an incident header; posts: %v", h.slack.posts)
	}
	addr, appr := h.eng.Addr(), st.Approval.ID
	reply := h.replies.srv.URL + "/reply"

	if code := click(t, addr, allowedUser, "approve", id, appr, reply, time.Now(), "not-the-secret"); code != http.StatusUnauthorized {
		t.Fatalf("forged click answered %d, want 401", code)
	}
	if code := click(t, addr, allowedUser, "approve", id, appr, reply, time.Now().Add(-6*time.Minute), signingSecret); code != http.StatusUnauthorized {
		t.Fatalf("click signed 6 minutes ago answered %d, want 401", code)
	}
	if code := click(t, addr, stranger, "approve", id, appr, reply, time.Now(), signingSecret); code != http.StatusOK {
		t.Fatalf("stranger's click answered %d", code)
	}
	testutil.PollUntil(t, 10*time.Second, "the stranger is told", func() (bool, error) {
		return strings.Contains(h.replies.all(), "not an approver"), fmt.Errorf("replies: %s", h.replies.all())
	})
	for _, reason := range []string{"slack_bad_signature", "slack_stale", "decision_not_approver"} {
		if v := metricValue(t, addr, `firebreak_refusals_total{reason="`+reason+`"}`); v != "1" {
			t.Errorf("refusals{%s} = %q, want 1", reason, v)
		}
	}
	st, err := incidentState(t, h.eng.Client(), id)
	if err != nil || st.Approval.Status != incident.ApprovalPending || len(st.Approval.Decisions) != 0 || len(st.Actions) != 0 {
		t.Fatalf("refused clicks changed the incident: %v %+v", err, st.Approval)
	}

	// A member of the allowlisted user group approves: quorum of one reached.
	if code := click(t, addr, groupMember, "approve", id, appr, reply, time.Now(), signingSecret); code != http.StatusOK {
		t.Fatalf("member's click answered %d", code)
	}
	st = h.waitState(t, id, "the approved action runs", func(st incident.State) bool { return st.Outcome != "" })
	if st.Outcome != incident.OutcomeResolved || len(st.Actions) != 1 || !st.Actions[0].Applied {
		t.Fatalf("outcome %s (%s), actions %+v", st.Outcome, st.Reason, st.Actions)
	}
	d := st.Approval.Decisions
	if st.Approval.Status != incident.ApprovalApproved || len(d) != 1 || d[0].By != groupMember || d[0].Group != "S0ONCALL" {
		t.Fatalf("approval record %+v", st.Approval)
	}
	testutil.PollUntil(t, 10*time.Second, "the buttons are replaced by the decision", func() (bool, error) {
		return len(h.slack.find("update", "approved")) > 0, nil
	})
	// A late click on the decided approval is refused, the incident unchanged.
	_ = click(t, addr, allowedUser, "deny", id, appr, reply, time.Now(), signingSecret)
	testutil.PollUntil(t, 10*time.Second, "the late clicker is told", func() (bool, error) {
		return strings.Contains(h.replies.all(), "already decided"), fmt.Errorf("replies: %s", h.replies.all())
	})
}

// TestApprovalExpiryPagesWithContext: nobody answers, the approval expires,
// the incident escalates to Slack and PagerDuty with everything collected;
// the alert's resolution resolves the PagerDuty incident (same dedup key).
func TestApprovalExpiryPagesWithContext(t *testing.T) {
	h := startHumans(t)
	id := h.fire(t, "ledger", "firing")
	// An escalation is recorded when its delivery starts: wait for the
	// page to be delivered, not merely attempted.
	st := h.waitState(t, id, "the approval expires and the page is delivered", func(st incident.State) bool {
		rec, ok := escalationTo(st, "pagerduty")
		return st.Outcome != "" && ok && rec.Delivered
	})
	if st.Outcome != incident.OutcomeEscalated || !strings.Contains(st.Reason, "expired") || len(st.Actions) != 0 {
		t.Fatalf("outcome %s (%s), actions %+v", st.Outcome, st.Reason, st.Actions)
	}
	inc, ok := h.pd.Incident(id)
	if !ok || inc.Status != pdserver.StatusTriggered || inc.Triggers != 1 {
		t.Fatalf("pagerduty incident for %s: %+v (found %t)", id, inc, ok)
	}
	details, _ := json.Marshal(inc.CustomDetails)
	for _, want := range []string{"expired", `"approval"`, "PaymentsPoolExhausted", "grow_pool"} {
		if !bytes.Contains(details, []byte(want)) {
			t.Errorf("custom_details lack %q: %s", want, details)
		}
	}
	if len(h.slack.find("post", "Escalated")) == 0 {
		t.Errorf("no escalation in the Slack thread")
	}
	h.fire(t, "ledger", "resolved")
	testutil.PollUntil(t, 30*time.Second, "the page resolves with the same dedup key", func() (bool, error) {
		inc, _ := h.pd.Incident(id)
		return inc.Status == pdserver.StatusResolved, fmt.Errorf("status %s", inc.Status)
	})
	if n := len(h.pd.Incidents()); n != 1 {
		t.Fatalf("pagerduty incidents = %d, want exactly 1", n)
	}
}

// TestOperatorApproval: `firebreak approve` answers an approval without
// Slack; the decision is recorded like a click.
func TestOperatorApproval(t *testing.T) {
	h := startHumans(t)
	id := h.fire(t, "billing", "firing")
	h.waitState(t, id, "approval pending", func(st incident.State) bool {
		return st.Approval != nil && st.Approval.Status == incident.ApprovalPending
	})
	run := func(token string, args ...string) (int, string) {
		t.Setenv("FIREBREAK_OPERATOR_TOKEN", token)
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), append(args[:1:1], append([]string{"--server", "http://" + h.eng.Addr()}, args[1:]...)...),
			cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb})
		return code, out.String() + errb.String()
	}
	if code, out := run("wrong-token-0123456789", "approve", id); code != cli.ExitError || !strings.Contains(out, "401") {
		t.Fatalf("wrong token: exit %d: %s", code, out)
	}
	if code, out := run("operator-token-0123456789", "approve", id); code != cli.ExitOK {
		t.Fatalf("approve: exit %d: %s", code, out)
	}
	st := h.waitState(t, id, "approved and acted", func(st incident.State) bool { return st.Outcome != "" })
	if st.Outcome != incident.OutcomeResolved || st.Approval.Decisions[0].By != "operator:oncall" || st.Approval.Decisions[0].Via != workflows.ViaAPI {
		t.Fatalf("outcome %s, approval %+v", st.Outcome, st.Approval)
	}
	if !strings.Contains(timeline(st), "operator:oncall approved via api") {
		t.Fatalf("decision not in the timeline:\n%s", timeline(st))
	}
	if code, out := run("operator-token-0123456789", "deny", id); code != cli.ExitFinding || !strings.Contains(out, "no approval is pending") {
		t.Fatalf("deny after the decision: exit %d: %s", code, out)
	}
}

// TestPoolExhaustionWithApproval runs the pool-exhaustion example with its
// approval variant: the incident waits, `firebreak approve` answers, the
// pool grows, verification passes, and the decision is in the timeline.
func TestPoolExhaustionWithApproval(t *testing.T) {
	s := startScenario(t, "")
	srv := devservertest.StartForTest(t)
	dir := filepath.Join(repoRoot, "examples", "pool-exhaustion", "runbooks-approval")
	opts := s.engineOptions(t, dir)
	opts.Operators = []approvals.Operator{{Name: "oncall", Token: "operator-token-0123456789"}}
	eng := startEngine(t, srv, opts)
	s.load(t, 4*time.Minute)

	id := demoIncidentID(t, dir, "pool-exhaustion-approval")
	testutil.PollUntil(t, 3*time.Minute, "the incident waits for approval", func() (bool, error) {
		st, err := incidentState(t, eng.Client(), id)
		if err != nil {
			return false, err
		}
		return st.Phase == incident.PhaseAwaitingApproval, fmt.Errorf("phase %s", st.Phase)
	})
	if got := s.poolSize(t); got != "2" {
		t.Fatalf("the pool changed before the approval: %s", got)
	}
	t.Setenv("FIREBREAK_OPERATOR_TOKEN", "operator-token-0123456789")
	var out bytes.Buffer
	if code := cli.Run(context.Background(), []string{"approve", "--server", "http://" + eng.Addr(), id}, cli.IO{In: strings.NewReader(""), Out: &out, Err: &out}); code != cli.ExitOK {
		t.Fatalf("firebreak approve: exit %d: %s", code, out.String())
	}
	st := waitOutcome(t, eng.Client(), id, 2*time.Minute)
	if st.Outcome != incident.OutcomeResolved || s.poolSize(t) != "12" {
		t.Fatalf("outcome %s (%s), pool %s\n%s", st.Outcome, st.Reason, s.poolSize(t), timeline(st))
	}
	if !strings.Contains(timeline(st), "operator:oncall approved via api") {
		t.Fatalf("the decision is not in the timeline:\n%s", timeline(st))
	}
}
