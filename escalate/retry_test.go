package escalate

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
	"github.com/firebreak-dev/firebreak/internal/testutil/pdserver"
)

// TestDeliveryErrorsAreClassified: with one attempt per call, the activity
// tells Temporal (the one retry layer) what PagerDuty said: refusals no
// repeat can change are non-retryable at once, a rate limit's Retry-After
// (at most MaxRetryDelay) is the next retry's delay, and anything else is
// plainly retryable.
func TestDeliveryErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter time.Duration
		wantFinal  bool
		wantDelay  time.Duration
	}{
		{name: "503 retryable", status: http.StatusServiceUnavailable},
		{name: "429 waits as asked", status: http.StatusTooManyRequests, retryAfter: 20 * time.Second, wantDelay: 20 * time.Second},
		{name: "429 wait is bounded", status: http.StatusTooManyRequests, retryAfter: time.Hour, wantDelay: MaxRetryDelay},
		{name: "400 invalid event final", status: http.StatusBadRequest, wantFinal: true},
		{name: "401 bad key final", status: http.StatusUnauthorized, wantFinal: true},
		{name: "403 final", status: http.StatusForbidden, wantFinal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := pdserver.Start(t)
			srv.FailNext(100, tt.status)
			srv.SetRetryAfter(tt.retryAfter)
			c, err := pagerduty.New(pagerduty.Config{RoutingKey: pdserver.TestRoutingKey, EventsURL: srv.URL}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			a := &Activities{Pager: &PagerDutyPager{Default: c}}
			e := Escalation{IncidentID: "x/1", Reason: "test", Record: SummaryOf(escalatedState())}
			err = a.Escalate(context.Background(), Input{Escalation: e, Step: Step{Sink: "pagerduty"}})
			if err == nil {
				t.Fatal("escalation through a failing PagerDuty succeeded")
			}
			if n := len(srv.Events()); n != 1 {
				t.Errorf("%d POSTs for one attempt, want 1", n)
			}
			var app *temporal.ApplicationError
			isApp := errors.As(err, &app)
			if final := isApp && app.NonRetryable(); final != tt.wantFinal {
				t.Errorf("non-retryable = %t, want %t (%v)", final, tt.wantFinal, err)
			}
			var delay time.Duration
			if isApp {
				delay = app.NextRetryDelay()
			}
			if delay != tt.wantDelay {
				t.Errorf("next retry delay = %s, want %s", delay, tt.wantDelay)
			}
		})
	}
}

type permanentErr struct{ final bool }

func (e permanentErr) Error() string   { return "refused" }
func (e permanentErr) Permanent() bool { return e.final }

func TestPermanentOnlyWhenEveryFailureIs(t *testing.T) {
	if !permanent(errors.Join(permanentErr{true}, permanentErr{true})) {
		t.Error("two refusals are not permanent")
	}
	if permanent(errors.Join(permanentErr{true}, errors.New("timeout"))) {
		t.Error("a refusal and a timeout are permanent: the timeout would never be retried")
	}
	if permanent(errors.New("timeout")) {
		t.Error("a plain error is permanent")
	}
}
