package pagerduty

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
)

// TestFaults puts Toxiproxy between the client and the contract server: a
// PagerDuty that is down or answers after 10 s makes Trigger fail after
// MaxAttempts, within a bounded time, and never opens a second incident.
func TestFaults(t *testing.T) {
	tests := []struct {
		name          string
		fault         string
		wantIncidents int // a slow PagerDuty still processes what it receives
	}{
		{name: "down", fault: "down", wantIncidents: 0},
		{name: "slow", fault: "slow", wantIncidents: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := pdserver.Start(t)
			listen, proxy := testutil.Proxy(t, srv.URL)
			switch tt.fault {
			case "slow":
				testutil.AddLatency(t, proxy, 10*time.Second)
			case "down":
				proxy.Stop()
			}
			s := &sleeps{}
			c, err := New(Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: "http://" + listen, Timeout: 300 * time.Millisecond},
				slog.New(slog.DiscardHandler), WithSleep(s.sleep))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = c.Trigger(context.Background(), escalation())
			if err == nil {
				t.Fatal("trigger through the fault succeeded")
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("trigger took %s", took)
			}
			if n := len(s.waits()); n != MaxAttempts-1 {
				t.Errorf("%d waits, want %d: %v", n, MaxAttempts-1, err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for tt.fault == "slow" && len(srv.Events()) < MaxAttempts && time.Now().Before(deadline) {
				<-time.After(10 * time.Millisecond)
			}
			if tt.fault == "slow" {
				if n := len(srv.Events()); n != MaxAttempts {
					t.Errorf("server saw %d events, want %d", n, MaxAttempts)
				}
			}
			if n := len(srv.Incidents()); n != tt.wantIncidents {
				t.Errorf("%d incidents, want %d", n, tt.wantIncidents)
			}
		})
	}
}
