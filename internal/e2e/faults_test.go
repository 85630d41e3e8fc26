package e2e

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
	"github.com/firebreak-dev/firebreak/integrations/slack"
	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
	"github.com/firebreak-dev/firebreak/workflows"
)

// faulty is firebreak with Toxiproxy between it and Slack (slacktest) and
// PagerDuty (the contract server).
type faulty struct {
	eng     *engine.Engine
	slack   *slackWorkspace
	pd      *pdserver.Server
	slackPx interface{ Stop() }
	pdPx    interface{ Stop() }
}

func startFaulty(t *testing.T, slackLatency time.Duration, slackDown, pdDown bool) *faulty {
	ws := startSlack(t)
	pd := pdserver.Start(t)
	slackAddr, sp := testutil.Proxy(t, ws.srv.GetAPIURL())
	if slackLatency > 0 {
		testutil.AddLatency(t, sp, slackLatency)
	}
	if slackDown {
		sp.Stop()
	}
	pdAddr, pp := testutil.Proxy(t, pd.URL)
	if pdDown {
		pp.Stop()
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	apiPath := strings.TrimPrefix(ws.srv.GetAPIURL(), "http://")
	apiPath = apiPath[strings.Index(apiPath, "/"):]
	sc, err := slack.New(slack.Config{BotToken: "xoxb-e2e", SigningSecret: signingSecret, APIURL: "http://" + slackAddr + apiPath}, quiet,
		slack.WithTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := pagerduty.New(pagerduty.Config{RoutingKey: routingKey, EventsURL: "http://" + pdAddr, Timeout: 3 * time.Second}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv := devservertest.StartForTest(t)
	eng := startEngine(t, srv, engine.Options{
		Runbooks: loadRunbooks(t, filepath.Join("testdata", "runbooks", "faults")),
		Settings: workflows.Settings{Linger: 10 * time.Minute},
		Slack:    sc,
		Chat:     &escalate.SlackChat{Client: sc},
		Pager:    &escalate.PagerDutyPager{Services: map[string]*pagerduty.Client{"payments": pc}},
		Log:      quiet,
	})
	return &faulty{eng: eng, slack: ws, pd: pd, slackPx: sp, pdPx: pp}
}

func (f *faulty) fire(t *testing.T, service string) (string, time.Time) {
	t.Helper()
	at := time.Now()
	a := post(t, "http://"+f.eng.Addr()+"/webhook/alertmanager", alertBody("PaymentsDown", service))
	if a.code != http.StatusOK || len(a.body.IncidentIDs) != 1 {
		t.Fatalf("webhook: %d %s", a.code, a.raw)
	}
	return a.body.IncidentIDs[0], at
}

func escalationTo(st incident.State, sink string) (incident.EscalationRecord, bool) {
	for _, e := range st.Escalations {
		if e.Sink == sink {
			return e, true
		}
	}
	return incident.EscalationRecord{}, false
}

// TestSlackFaultsStillPage: with Slack slow (10 s latency) or down, the
// escalation still reaches PagerDuty on its own schedule (5 s), the
// incident reaches its outcome at once, and Slack's failures are retried a
// bounded number of times and recorded.
func TestSlackFaultsStillPage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		latency time.Duration
		down    bool
	}{
		{"slack slow", 10 * time.Second, false},
		{"slack down", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFaulty(t, tc.latency, tc.down, false)
			id, firedAt := f.fire(t, "api")
			var paged time.Time
			testutil.PollUntil(t, 30*time.Second, "PagerDuty is paged despite Slack", func() (bool, error) {
				inc, ok := f.pd.Incident(id)
				if ok {
					paged = inc.Opened
				}
				return ok && inc.Status == pdserver.StatusTriggered, fmt.Errorf("no pagerduty incident yet")
			})
			if d := paged.Sub(firedAt); d > 15*time.Second {
				t.Errorf("paged %s after the alert; the runbook says 5s", d.Round(time.Millisecond))
			}
			st, err := incidentState(t, f.eng.Client(), id)
			if err != nil {
				t.Fatal(err)
			}
			if st.Outcome != incident.OutcomeEscalated {
				t.Fatalf("the incident is stuck: phase %s, outcome %q", st.Phase, st.Outcome)
			}
			// Slack's step keeps failing and is retried, boundedly, in the record.
			testutil.PollUntil(t, 60*time.Second, "Slack's failures are in the record", func() (bool, error) {
				st, err := incidentState(t, f.eng.Client(), id)
				if err != nil {
					return false, err
				}
				e, ok := escalationTo(st, "slack")
				return ok && !e.Delivered && e.Attempts >= 2 && e.Error != "", fmt.Errorf("slack escalation: %+v", e)
			})
			st, _ = incidentState(t, f.eng.Client(), id)
			if e, _ := escalationTo(st, "slack"); e.Attempts > 6 {
				t.Fatalf("slack attempts = %d, want at most 6", e.Attempts)
			}
			if len(f.slack.find("post", "Escalated")) != 0 && tc.down {
				t.Fatal("a post reached Slack through a proxy that is down")
			}
		})
	}
}

// TestPagerDutyDownSlackStillShows: with PagerDuty down, Slack shows the
// escalation and the incident record shows PagerDuty's failure.
func TestPagerDutyDownSlackStillShows(t *testing.T) {
	f := startFaulty(t, 0, false, true)
	id, _ := f.fire(t, "ledger")
	testutil.PollUntil(t, 30*time.Second, "Slack shows the escalation", func() (bool, error) {
		return len(f.slack.find("post", id)) > 0, nil
	})
	testutil.PollUntil(t, 60*time.Second, "PagerDuty's failure is in the record", func() (bool, error) {
		st, err := incidentState(t, f.eng.Client(), id)
		if err != nil {
			return false, err
		}
		e, ok := escalationTo(st, "pagerduty")
		return ok && !e.Delivered && e.Error != "", fmt.Errorf("pagerduty escalation: %+v", e)
	})
	st, _ := incidentState(t, f.eng.Client(), id)
	if e, ok := escalationTo(st, "slack"); !ok || !e.Delivered {
		t.Fatalf("slack escalation: %+v", e)
	}
	if n := len(f.pd.Events()); n != 0 {
		t.Fatalf("pagerduty received %d events through a proxy that is down", n)
	}
}
