package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/workflows"
)

// TestHistoryGrowsLinearly measures the real history (GetWorkflowHistory,
// the sum of its events' proto sizes) of incidents on the Temporal dev
// server. Each incident escalates into its Slack thread (slacktest) and
// stays open; then its alert repeats n times, each repeat a timeline event
// and a reply in the thread (a Notify activity). What the repeats add to
// the history must grow linearly: 200 repeats add about four times what 50
// add (asserted < 6; 3.8 measured). Activity inputs carrying the whole,
// growing incident record make it grow with the square (ratio ≈ 16; 11.9
// measured before the inputs were bounded).
func TestHistoryGrowsLinearly(t *testing.T) {
	ws := startSlack(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sc := ws.client(t, quiet)
	srv := devservertest.StartForTest(t)
	eng := startEngine(t, srv, engine.Options{
		Runbooks: loadRunbooks(t, filepath.Join("testdata", "runbooks", "thread")),
		Settings: workflows.Settings{Linger: 10 * time.Minute},
		Slack:    sc,
		Chat:     &escalate.SlackChat{Client: sc},
		Log:      quiet,
	})
	added := map[int]int{}
	for _, n := range []int{50, 200} {
		service := fmt.Sprintf("svc%d", n)
		fire := func() string {
			a := post(t, "http://"+eng.Addr()+"/webhook/alertmanager", alertBody("ChattyAlert", service))
			if a.code != http.StatusOK || len(a.body.IncidentIDs) != 1 {
				t.Fatalf("webhook: %d %s", a.code, a.raw)
			}
			return a.body.IncidentIDs[0]
		}
		id := fire()
		// Settled: escalated to Slack and the record, every post done.
		testutil.PollUntil(t, 60*time.Second, "the incident escalates into Slack", func() (bool, error) {
			st, err := incidentState(t, eng.Client(), id)
			if err != nil {
				return false, err
			}
			delivered := 0
			for _, e := range st.Escalations {
				if e.Delivered {
					delivered++
				}
			}
			return st.Outcome != "" && delivered == 2 && st.Slack != nil && idle(t, eng.Client(), id),
				fmt.Errorf("outcome %q, %d of %d escalations delivered", st.Outcome, delivered, len(st.Escalations))
		})
		before := historyBytes(t, eng.Client(), id)
		const reply = "alert still firing (repeat notification)"
		posted := len(ws.find("post", reply))
		for range n {
			fire()
		}
		testutil.PollUntil(t, 90*time.Second, "every repeat is posted in the thread", func() (bool, error) {
			st, err := incidentState(t, eng.Client(), id)
			if err != nil {
				return false, err
			}
			replies := len(ws.find("post", reply)) - posted
			return st.Notifications == n+1 && replies == n && idle(t, eng.Client(), id),
				fmt.Errorf("%d notifications heard, %d of %d replies posted", st.Notifications, replies, n)
		})
		after := historyBytes(t, eng.Client(), id)
		added[n] = after - before
		st, _ := incidentState(t, eng.Client(), id)
		t.Logf("%d repeats: %d timeline events; history %d bytes before the repeats, %d after (+%d)", n, len(st.Timeline), before, after, added[n])
	}
	ratio := float64(added[200]) / float64(added[50])
	t.Logf("history bytes the repeats added, 200 vs 50 repeats: ratio %.2f", ratio)
	if ratio >= 6 {
		t.Fatalf("the history grew %.1f× for 4× the events; it must grow linearly (ratio ≈ 4)", ratio)
	}
}

// historyBytes is the size of the workflow's history: the sum of its
// events' encoded sizes.
func historyBytes(t *testing.T, c client.Client, id string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	total := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		total += proto.Size(ev)
	}
	return total
}

// idle says the workflow has no activity pending (every thread post is
// done), so its history has stopped growing for now.
func idle(t *testing.T, c client.Client, id string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return false
	}
	return len(d.GetPendingActivities()) == 0
}
