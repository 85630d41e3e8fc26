package slack

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseInteraction feeds arbitrary bodies to the parser: it must never
// panic, and whatever it accepts must be a complete firebreak decision.
// Seeds: testdata/fuzz/FuzzParseInteraction plus the cases below.
func FuzzParseInteraction(f *testing.F) {
	f.Add(interactionBody(f, "block_actions", ActionApprove, testValue, "https://hooks.slack.com/actions/T/1/x"))
	f.Add(interactionBody(f, "block_actions", ActionDeny, testValue, ""))
	f.Add(interactionBody(f, "view_submission", ActionApprove, testValue, ""))
	f.Add(interactionBody(f, "block_actions", ActionApprove, `{"incident_id":"a","approval_id":"b","x":1}`, ""))
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%5D%7D"))
	f.Add([]byte("payload="))
	f.Add([]byte("%zz"))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := ParseInteraction(body)
		if err != nil {
			return
		}
		if in.Decision != DecisionApprove && in.Decision != DecisionDeny {
			t.Fatalf("accepted decision %q", in.Decision)
		}
		if (in.ActionID == ActionApprove) != (in.Decision == DecisionApprove) {
			t.Fatalf("action %q became decision %q", in.ActionID, in.Decision)
		}
		if in.IncidentID == "" || in.ApprovalID == "" || len(in.IncidentID) > maxIDLen || len(in.ApprovalID) > maxIDLen {
			t.Fatalf("accepted ids %q %q", in.IncidentID, in.ApprovalID)
		}
		if !userIDRe.MatchString(in.UserID) {
			t.Fatalf("accepted user %q", in.UserID)
		}
	})
}

// FuzzVerify checks that Verify accepts a request only when its signature is
// the HMAC of exactly this timestamp and body, and its timestamp is within
// the replay window. Seeds: testdata/fuzz/FuzzVerify plus the cases below.
func FuzzVerify(f *testing.F) {
	now := time.Now()
	body := interactionBody(f, "block_actions", ActionApprove, testValue, "")
	ts := now.Unix()
	f.Add(body, strconv.FormatInt(ts, 10), sign(testSecret, ts, body))
	f.Add(body, strconv.FormatInt(ts-600, 10), sign(testSecret, ts-600, body))
	f.Add(body, strconv.FormatInt(ts, 10), sign("other", ts, body))
	f.Add([]byte{}, "", "")
	f.Add([]byte("x"), "+"+strconv.FormatInt(ts, 10), "v0=")
	f.Fuzz(func(t *testing.T, body []byte, tsHeader, sig string) {
		h := http.Header{}
		h.Set(headerTimestamp, tsHeader)
		h.Set(headerSignature, sig)
		err := verify(testSecret, h, body, now)
		if err != nil {
			return
		}
		sec, perr := strconv.ParseInt(h.Get(headerTimestamp), 10, 64)
		if perr != nil {
			t.Fatalf("accepted unparseable timestamp %q", tsHeader)
		}
		if d := now.Sub(time.Unix(sec, 0)); d > ReplayWindow || d < -ReplayWindow {
			t.Fatalf("accepted timestamp %d, %s from now", sec, d)
		}
		if h.Get(headerTimestamp) != strconv.FormatInt(sec, 10) {
			t.Fatalf("accepted non-canonical timestamp %q", tsHeader)
		}
		if want := sign(testSecret, sec, body); !strings.EqualFold(want, h.Get(headerSignature)) {
			t.Fatalf("accepted signature %q, want %q", sig, want)
		}
	})
}
