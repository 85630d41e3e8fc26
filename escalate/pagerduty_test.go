package escalate

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
)

func TestEventOfCarriesContext(t *testing.T) {
	srv := pdserver.Start(t)
	c, err := pagerduty.New(pagerduty.Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: srv.URL}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s := escalatedState()
	s.Reason = ""
	s.Verification = "failed"
	e := Escalation{IncidentID: s.IncidentID, Reason: "verification failed", Record: SummaryOf(s), TimelineURL: "http://127.0.0.1:8233/x"}
	ev := EventOf(e)
	if ev.DedupKey != s.IncidentID || ev.Severity != pagerduty.SeverityCritical || ev.Source != "pgbouncer:6432" || ev.Class != "PgBouncerPoolExhausted" ||
		ev.Summary != "Clients waiting on pool app: verification failed" || len(ev.Links) != 2 || !ev.Timestamp.Equal(s.Alert.StartsAt) {
		t.Fatalf("event = %+v", ev)
	}
	p := &PagerDutyPager{Default: c}
	if err := p.Trigger(context.Background(), "", "", e); err != nil {
		t.Fatal(err)
	}
	in, _ := srv.Incident(s.IncidentID)
	actions, _ := in.CustomDetails["actions"].([]any)
	checks, _ := in.CustomDetails["checks"].([]any)
	if len(actions) != 1 || len(checks) != 1 || in.CustomDetails["diagnosis"] == nil || in.CustomDetails["verification"] != "failed" ||
		in.CustomDetails["remediation"] != "grow_pool" {
		t.Fatalf("custom details = %v", in.CustomDetails)
	}
	a := actions[0].(map[string]any)
	if a["Prior"] != json.Number("20") || a["Planned"] != json.Number("30") {
		t.Errorf("action lacks before/after values: %v", a)
	}
	if err := p.Trigger(context.Background(), "payments", "", e); err == nil {
		t.Error("a step naming an unconfigured service succeeded")
	}
}
