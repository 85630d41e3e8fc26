package slack

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

// FuzzInteractionHandler signs requests correctly and then perturbs them:
// the timestamp is offset from now by offset seconds, and tamper changes
// the signature, the body, the timestamp's spelling or the secret after
// signing. The whole handler serves them against a recording Decider.
// Properties: a request is accepted (reaches the Decider) only when it is
// untampered and its timestamp within ReplayWindow of now; every
// untampered request within the window whose body parses reaches the
// Decider exactly once and is answered 200; everything else is answered 4xx
// and never reaches it. FuzzVerify cannot find a valid signature by
// mutation; this target starts from one, so the window and the comparison
// are exercised on accepted signatures too.
func FuzzInteractionHandler(f *testing.F) {
	body := interactionBody(f, "block_actions", ActionApprove, testValue, "")
	for _, off := range []int64{0, 299, -299, 301, -301, 600, -86400, 1 << 40} {
		for tamper := uint8(0); tamper < 6; tamper++ {
			f.Add(body, off, tamper, uint16(7))
		}
	}
	f.Add(interactionBody(f, "block_actions", ActionDeny, testValue, ""), int64(10), uint8(0), uint16(0))
	f.Add([]byte("payload=%7B%7D"), int64(0), uint8(0), uint16(0))
	f.Fuzz(func(t *testing.T, body []byte, offset int64, tamper uint8, pos uint16) {
		now := time.Now() // slack-go checks the timestamp against the wall clock too
		if offset > 1<<40 || offset < -(1<<40) {
			offset %= 1 << 40
		}
		ts := now.Unix() + offset
		tsHeader := strconv.FormatInt(ts, 10)
		sig := sign(testSecret, ts, body)
		sent := body
		switch tamper % 6 {
		case 1: // one hex digit of the signature changed
			i := len("v0=") + int(pos)%(len(sig)-len("v0="))
			c := byte('0')
			if sig[i] == '0' {
				c = '1'
			}
			sig = sig[:i] + string(c) + sig[i+1:]
		case 2: // the body changed after signing
			sent = append(append([]byte{}, body...), 0)
			if len(body) > 0 {
				sent = append([]byte{}, body...)
				sent[int(pos)%len(sent)] ^= 1 << (pos % 8)
			}
		case 3: // the same instant spelled otherwise
			tsHeader = "0" + tsHeader
		case 4: // signed with another secret
			sig = sign(testSecret+"x", ts, body)
		case 5: // signature truncated
			sig = sig[:int(pos)%len(sig)]
		}
		d := &fakeDecider{}
		c, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret}, slog.New(slog.DiscardHandler), WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/slack/interactions", bytes.NewReader(sent))
		r.Header.Set(headerTimestamp, tsHeader)
		r.Header.Set(headerSignature, sig)
		w := httptest.NewRecorder()
		c.InteractionHandler(d).ServeHTTP(w, r)

		d.mu.Lock()
		calls := len(d.calls)
		d.mu.Unlock()
		skew := time.Duration(offset) * time.Second
		within := skew <= ReplayWindow-time.Second && skew >= -ReplayWindow+time.Second
		outside := skew > ReplayWindow+time.Second || skew < -ReplayWindow-time.Second
		if tamper%6 != 0 || outside || len(sent) > MaxInteractionBytes {
			if calls != 0 || w.Code < 400 || w.Code >= 500 {
				t.Fatalf("tamper %d, %s from now: answered %d with %d decisions, want a 4xx and none", tamper%6, skew, w.Code, calls)
			}
			return
		}
		if !within {
			return // at the window's edge the wall clock decides
		}
		if _, perr := ParseInteraction(sent); perr != nil {
			if calls != 0 || w.Code != http.StatusBadRequest {
				t.Fatalf("unparseable click answered %d with %d decisions", w.Code, calls)
			}
			return
		}
		if calls != 1 || w.Code != http.StatusOK {
			t.Fatalf("valid click %s from now answered %d with %d decisions", skew, w.Code, calls)
		}
	})
}
