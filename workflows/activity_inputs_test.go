package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/integrations/slack"
)

// TestActivityInputsGrowLinearly runs one incident with a Slack thread and
// a long verification (a check a second for four minutes) while its alert
// repeats every second: each repeat is a timeline event and a reply in the
// thread, and the checks pile up meanwhile. It runs with n = 0, 50 and 200
// repeats, with the real escalate activities posting to slacktest, and
// measures, in Temporal's test environment, the encoded size
// (converter.GetDefaultDataConverter's payloads, as the history would
// record them) of every activity input the workflow scheduled. What the
// repeats add (the total less the run without repeats) must grow with
// their number: four times the events, about four times the bytes. Inputs
// carrying the whole, growing incident record make it grow with the square
// (ratio ≈ 16; 12.5 measured before the inputs were bounded, 4.1 after).
func TestActivityInputsGrowLinearly(t *testing.T) {
	sizes := map[int]int{}
	for _, n := range []int{0, 50, 200} {
		bytes, events := activityInputBytes(t, n)
		sizes[n] = bytes
		t.Logf("%d repeat notifications: %d timeline events, %d bytes of activity inputs", n, events, bytes)
	}
	ratio := float64(sizes[200]-sizes[0]) / float64(sizes[50]-sizes[0])
	t.Logf("activity input bytes the repeats added, 200 vs 50 repeats: ratio %.2f (totals: %.2f)", ratio, float64(sizes[200])/float64(sizes[50]))
	if ratio >= 6 {
		t.Fatalf("activity inputs grew %.1f× for 4× the events; each must be bounded (linear growth, ratio ≈ 4)", ratio)
	}
}

// activityInputBytes runs the incident with n repeat notifications and
// returns the encoded size of all activity inputs and the number of
// timeline events.
func activityInputBytes(t *testing.T, n int) (int, int) {
	t.Helper()
	ws := threadWorkspace(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sc, err := slack.New(slack.Config{BotToken: "xoxb-test", APIURL: ws.GetAPIURL()}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	chat := &escalate.SlackChat{Client: sc}
	e := envWithEscalation(t, &escalate.Activities{Threads: chat, Approvals: chat, Log: quiet})
	var mu sync.Mutex
	total := 0
	dc := converter.GetDefaultDataConverter()
	e.SetOnActivityStartedListener(func(_ *activity.Info, _ context.Context, args converter.EncodedValues) {
		var in json.RawMessage
		if !args.HasValues() {
			return
		}
		if err := args.Get(&in); err != nil {
			t.Errorf("decode activity input: %v", err)
			return
		}
		p, err := dc.ToPayloads(in)
		if err != nil {
			t.Errorf("encode activity input: %v", err)
			return
		}
		mu.Lock()
		total += proto.Size(p)
		mu.Unlock()
	})
	for i := range n {
		e.RegisterDelayedCallback(func() { e.SignalWorkflow(SignalAlert, firing()) }, 2*time.Second+time.Duration(i)*time.Second)
	}
	st := e.run(t, Input{IncidentID: fmt.Sprintf("pool-thread/%d", n), Runbook: pinned(t, "pool-thread.hcl"), Alert: firing(),
		Settings: Settings{Linger: time.Hour, TimelineURL: "http://127.0.0.1:8233/namespaces/default/workflows/pool-thread"}})
	if st.Slack == nil {
		t.Fatal("the incident has no Slack thread")
	}
	if st.Notifications < n {
		t.Fatalf("the incident heard %d notifications, want at least %d", st.Notifications, n)
	}
	mu.Lock()
	defer mu.Unlock()
	return total, len(st.Timeline)
}

// threadWorkspace is slacktest answering chat.postMessage and chat.update
// with the channel and a fresh timestamp.
func threadWorkspace(t *testing.T) *slacktest.Server {
	t.Helper()
	var mu sync.Mutex
	ts := 0
	answer := func(rw http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		ts++
		stamp := fmt.Sprintf("1700000000.%06d", ts)
		mu.Unlock()
		if r.Form.Get("ts") != "" && r.URL.Path == "/chat.update" {
			stamp = r.Form.Get("ts")
		}
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(map[string]any{"ok": true, "channel": r.Form.Get("channel"), "ts": stamp})
	}
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", answer)
		c.Handle("/chat.update", answer)
	})
	srv.Start()
	t.Cleanup(srv.Stop)
	return srv
}
