package pagerduty

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
)

// TestFaults puts Toxiproxy between the client and the contract server: a
// PagerDuty that is down or answers after 10 s makes Trigger fail after one
// attempt, within its timeout, with an error the caller may retry.
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
			c, err := New(Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: "http://" + listen, Timeout: 300 * time.Millisecond},
				slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = c.Trigger(context.Background(), escalation())
			if err == nil {
				t.Fatal("trigger through the fault succeeded")
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("trigger took %s", took)
			}
			var se *StatusError
			if errors.As(err, &se) {
				t.Errorf("a transport failure came back as PagerDuty's answer %v", se)
			}
			if tt.fault == "slow" {
				// The slow server records the event after the client gave up.
				assert.Eventually(t, func() bool { return len(srv.Events()) >= 1 }, 15*time.Second, 10*time.Millisecond)
			}
			if n, want := len(srv.Events()), tt.wantIncidents; n != want {
				t.Errorf("server saw %d events, want %d", n, want)
			}
			if n := len(srv.Incidents()); n != tt.wantIncidents {
				t.Errorf("%d incidents, want %d", n, tt.wantIncidents)
			}
		})
	}
}
