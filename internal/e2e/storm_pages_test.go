package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
	"github.com/firebreak-dev/firebreak/workflows"
)

// TestStormPagesOnce: 200 services alert within a minute and each
// incident's runbook escalates at once to PagerDuty and Slack. The first
// incidents open long before the storm threshold is crossed, so an
// incident that paged as soon as it opened would page on its own (200
// triggers were measured before pages asked the Control workflow first).
// Every page waits for the Control workflow's word: PagerDuty receives
// exactly one trigger, the storm's; Slack one message, the storm's, in the
// channel the incidents would have posted to; and every incident's record
// says it was grouped.
func TestStormPagesOnce(t *testing.T) {
	const services, threshold = 200, 20
	pd := pdserver.Start(t)
	ws := startSlack(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pc, err := pagerduty.New(pagerduty.Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: pd.URL, Timeout: 3 * time.Second}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	sc := ws.client(t, quiet)
	srv := devservertest.StartForTest(t)
	eng := startEngine(t, srv, engine.Options{
		Runbooks: loadRunbooks(t, filepath.Join("testdata", "runbooks", "storm-pages")),
		Settings: workflows.Settings{Linger: 10 * time.Minute, Control: workflows.ControlSettings{
			StormThreshold: threshold, StormWindow: time.Minute, StormQuiet: 10 * time.Minute,
		}},
		Pager:      &escalate.PagerDutyPager{Default: pc},
		Chat:       &escalate.SlackChat{Client: sc},
		RecordPath: filepath.Join(t.TempDir(), "escalations.jsonl"),
		Log:        quiet,
	})
	url := "http://" + eng.Addr() + "/webhook/alertmanager"
	start := time.Now()
	ids := make([]string, services)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			a := post(t, url, alertBody("ServiceDown", fmt.Sprintf("svc-%03d", i)))
			if a.code != http.StatusOK || len(a.body.IncidentIDs) != 1 {
				t.Errorf("webhook for svc-%03d: %d %s", i, a.code, a.raw)
				return
			}
			ids[i] = a.body.IncidentIDs[0]
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	sent := time.Since(start)
	if sent > time.Minute {
		t.Fatalf("sending %d alerts took %s, more than the storm window", services, sent)
	}
	individuallyPaged := 0
	for _, id := range ids {
		var st incident.State
		testutil.PollUntil(t, 3*time.Minute, "incident "+id+" to end", func() (bool, error) {
			var err error
			st, err = incidentState(t, eng.Client(), id)
			if err != nil {
				return false, err
			}
			return st.Outcome != "", fmt.Errorf("phase %s, no outcome", st.Phase)
		})
		if st.Outcome != incident.OutcomeGrouped || st.Storm == "" {
			individuallyPaged++
			if individuallyPaged <= 3 {
				t.Errorf("incident %s ended %s (%s), storm %q; want grouped into the storm", id, st.Outcome, st.Reason, st.Storm)
			}
		}
	}
	if individuallyPaged > 0 {
		t.Errorf("%d of %d incidents were not grouped", individuallyPaged, services)
	}
	triggers := func() (storm, individual int) {
		for _, e := range pd.Events() {
			switch {
			case e.Action != "trigger":
			case strings.HasPrefix(e.DedupKey, "storm/"):
				storm++
			default:
				individual++
			}
		}
		return storm, individual
	}
	testutil.PollUntil(t, 30*time.Second, "the storm's page and Slack message", func() (bool, error) {
		storm, individual := triggers()
		var ctl workflows.ControlState
		if v, err := eng.Client().QueryWorkflow(context.Background(), workflows.ControlWorkflowID("firebreak-"+strings.ToLower(t.Name())), "", workflows.QueryControl); err == nil {
			_ = v.Get(&ctl)
		}
		var esc any
		if ctl.Storm != nil {
			esc = fmt.Sprintf("paged %+v, escalations %+v", ctl.Storm.Paged, ctl.Storm.Escalation)
		}
		return storm >= 1 && len(ws.find("post", "storm")) >= 1,
			fmt.Errorf("%d storm and %d other triggers, %d Slack posts; storm %v", storm, individual, len(ws.find("post", "")), esc)
	})
	storm, individual := triggers()
	if storm != 1 || individual != 0 {
		t.Fatalf("PagerDuty got %d storm triggers and %d individual ones; want exactly the storm's one", storm, individual)
	}
	posts := ws.find("post", "")
	if len(posts) != 1 || posts[0].Get("channel") != "#outage" || !strings.Contains(posts[0].Get("text")+posts[0].Get("blocks"), "storm mode") {
		var got []string
		for _, p := range posts {
			got = append(got, p.Get("channel")+": "+p.Get("text"))
		}
		t.Fatalf("Slack got %d messages %q; want one, the storm's, in #outage", len(posts), got)
	}
	t.Logf("%d alerts sent in %s: %d incidents grouped, 1 PagerDuty trigger, 1 Slack message", services, sent.Round(time.Millisecond), services)
}
