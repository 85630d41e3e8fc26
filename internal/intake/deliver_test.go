package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/runbooks"
)

const testRunbook = `runbook "storm" {
  match    = ["alertname=\"Storm\""]
  group_by = ["service"]
  diagnose "errors" {
    prometheus { query = "sum(rate(http_requests_total{service=\"${alert.labels.service}\"}[1m]))" }
  }
}
`

// fakeTemporal stands in for Temporal in the unit tests: it counts the
// calls in flight at once, can hold every call until the test lets go, and
// can fail every call from a given one on, as an unavailable frontend would.
type fakeTemporal struct {
	gate     chan struct{} // when non-nil, calls wait until it is closed
	failFrom int           // calls numbered from failFrom on (1-based) fail; 0 never

	mu       sync.Mutex
	calls    int
	inFlight int
	max      int
	order    map[string][]string // alert statuses per workflow ID, in call order
	seq      []string            // workflow IDs, in call order
}

func (f *fakeTemporal) SignalWithStartWorkflow(ctx context.Context, workflowID string, _ string, _ interface{},
	_ client.StartWorkflowOptions, _ interface{}, _ ...interface{}) (client.WorkflowRun, error) {
	return nil, f.call(ctx, workflowID, "firing")
}

func (f *fakeTemporal) SignalWorkflow(ctx context.Context, workflowID string, _ string, _ string, _ interface{}) error {
	return f.call(ctx, workflowID, "resolved")
}

func (f *fakeTemporal) call(ctx context.Context, id, status string) error {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.inFlight++
	f.max = max(f.max, f.inFlight)
	if f.order == nil {
		f.order = map[string][]string{}
	}
	f.order[id] = append(f.order[id], status)
	f.seq = append(f.seq, id)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.failFrom > 0 && n >= f.failFrom {
		return serviceerror.NewUnavailable("injected: frontend unavailable")
	}
	return nil
}

func (f *fakeTemporal) stats() (calls, inFlight, maxInFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.inFlight, f.max
}

func newTestHandler(t *testing.T, f *fakeTemporal, o Options) (*Handler, *metrics.Metrics) {
	t.Helper()
	rb, diags := runbooks.Parse("storm.hcl", []byte(testRunbook))
	require.False(t, diags.HasErrors(), diags.Error())
	o.Temporal = f
	o.TaskQueue = "test"
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.Metrics = metrics.New()
	return New(&runbooks.Set{Runbooks: []*runbooks.Runbook{rb}}, o), o.Metrics
}

type testAlert struct{ service, status, alertname string }

// body is a webhook message with one alert per entry; an empty alertname
// means "Storm", which the test runbook matches.
func body(alerts ...testAlert) []byte {
	as := make([]map[string]any, 0, len(alerts))
	for _, a := range alerts {
		name := a.alertname
		if name == "" {
			name = "Storm"
		}
		as = append(as, map[string]any{
			"status": a.status, "labels": map[string]string{"alertname": name, "service": a.service},
			"fingerprint": fmt.Sprintf("%s-%s-%d", a.service, a.status, len(as)),
		})
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": "firebreak", "groupKey": "{}:{}", "alerts": as})
	return b
}

func storm(n int) []testAlert {
	as := make([]testAlert, n)
	for i := range as {
		as[i] = testAlert{service: fmt.Sprintf("svc-%03d", i), status: "firing"}
	}
	return as
}

type answer struct {
	code int
	hdr  http.Header
	body Response
}

// serve posts b to h; it is safe in any goroutine (it fails no test).
func serve(h *Handler, b []byte) (answer, error) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhook/alertmanager", bytes.NewReader(b)))
	a := answer{code: rec.Code, hdr: rec.Header()}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		return a, fmt.Errorf("decode answer %q: %w", rec.Body.String(), err)
	}
	return a, nil
}

func send(t *testing.T, h *Handler, b []byte) answer {
	t.Helper()
	a, err := serve(h, b)
	require.NoError(t, err)
	return a
}

type served struct {
	a   answer
	err error
}

// sendAsync serves b in a goroutine and delivers the answer on the channel.
func sendAsync(h *Handler, b []byte, out chan<- served) {
	go func() {
		a, err := serve(h, b)
		out <- served{a, err}
	}()
}

func refusals(t *testing.T, m *metrics.Metrics, reason string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "firebreak_refusals_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return s.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func incidentIDOf(service string) string { return IncidentID("storm", "service="+service) }

// TestInFlightBounds holds every Temporal call until as many are in flight
// as the bounds allow, then lets them go: the most ever in flight at once
// must be exactly the bound, per message and across messages.
func TestInFlightBounds(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		maxInFlight int
		messages    int
		alerts      int
		want        int
	}{
		{"one message: the per-message bound", 4, 64, 1, 40, 4},
		{"many messages: the engine-wide cap", 4, 8, 5, 20, 8},
		{"a message smaller than the bound", 16, 64, 1, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTemporal{gate: make(chan struct{})}
			// QueueWait far beyond the test: nothing here may be refused.
			h, _ := newTestHandler(t, f, Options{Concurrency: tc.concurrency, MaxInFlight: tc.maxInFlight, QueueWait: time.Hour})
			answers := make(chan served, tc.messages)
			for m := 0; m < tc.messages; m++ {
				as := storm(tc.alerts)
				for i := range as {
					as[i].service = fmt.Sprintf("m%d-%s", m, as[i].service)
				}
				sendAsync(h, body(as...), answers)
			}
			require.Eventually(t, func() bool { _, in, _ := f.stats(); return in >= tc.want }, 10*time.Second, 5*time.Millisecond)
			close(f.gate)
			for m := 0; m < tc.messages; m++ {
				s := <-answers
				require.NoError(t, s.err)
				a := s.a
				require.Equal(t, http.StatusOK, a.code, a.body.Error)
				require.Len(t, a.body.IncidentIDs, tc.alerts)
			}
			calls, _, most := f.stats()
			require.Equal(t, tc.messages*tc.alerts, calls)
			require.Equal(t, tc.want, most, "most Temporal calls in flight at once")
		})
	}
}

// TestBackPressure fills the engine-wide cap with a request Temporal does
// not answer: the next request waits QueueWait for a slot, then is refused
// with 503 and Retry-After, counted, without reaching Temporal; the first
// one still completes once Temporal answers.
func TestBackPressure(t *testing.T) {
	f := &fakeTemporal{gate: make(chan struct{})}
	h, m := newTestHandler(t, f, Options{Concurrency: 2, MaxInFlight: 2, QueueWait: 50 * time.Millisecond})
	first := make(chan served, 1)
	sendAsync(h, body(storm(2)...), first)
	require.Eventually(t, func() bool { _, in, _ := f.stats(); return in == 2 }, 10*time.Second, 5*time.Millisecond)

	a := send(t, h, body(testAlert{service: "late", status: "firing"}))
	require.Equal(t, http.StatusServiceUnavailable, a.code)
	require.Equal(t, "5", a.hdr.Get("Retry-After"))
	require.Contains(t, a.body.Error, "overloaded")
	require.Empty(t, a.body.IncidentIDs)
	require.Equal(t, 1.0, refusals(t, m, "backpressure"))
	calls, _, _ := f.stats()
	require.Equal(t, 2, calls, "the refused request must not reach Temporal")

	close(f.gate)
	s := <-first
	require.NoError(t, s.err)
	a = s.a
	require.Equal(t, http.StatusOK, a.code, a.body.Error)
	require.Equal(t, []string{incidentIDOf("svc-000"), incidentIDOf("svc-001")}, a.body.IncidentIDs)
}

// TestAdmittedMessageRunsToTheEnd: a message, once admitted, keeps its
// share of the slots until it is answered; a message arriving meanwhile
// waits for admission instead of taking slots write by write. Before,
// slots were taken per write, and every message in a storm advanced a
// little at a time: under 100 messages at once, each took longer than
// Alertmanager's timeout and was cancelled and retried.
func TestAdmittedMessageRunsToTheEnd(t *testing.T) {
	f := &fakeTemporal{gate: make(chan struct{})}
	h, _ := newTestHandler(t, f, Options{Concurrency: 4, MaxInFlight: 4, QueueWait: time.Hour})
	answers := make(chan served, 2)
	first := storm(8)
	sendAsync(h, body(first...), answers)
	require.Eventually(t, func() bool { _, in, _ := f.stats(); return in == 4 }, 10*time.Second, 5*time.Millisecond)
	second := storm(4)
	for i := range second {
		second[i].service = "late-" + second[i].service
	}
	sendAsync(h, body(second...), answers)
	require.Eventually(t, func() bool { return h.queued.Load() == 1 }, 10*time.Second, 5*time.Millisecond)
	close(f.gate)
	for range 2 {
		s := <-answers
		require.NoError(t, s.err)
		require.Equal(t, http.StatusOK, s.a.code, s.a.body.Error)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.seq, 12)
	for i, id := range f.seq {
		// The first message's eight writes come first.
		require.Equal(t, i < 8, isFirst(id, first), "write %d: %s (order %v)", i, id, f.seq)
	}
}

// isFirst says whether id is the incident of one of the alerts.
func isFirst(id string, alerts []testAlert) bool {
	for _, a := range alerts {
		if incidentIDOf(a.service) == id {
			return true
		}
	}
	return false
}

// TestPartialFailure: Temporal fails from the 51st write of a 100-alert
// message. The answer is 503 and lists only confirmed writes, in alert
// order; the retry, with Temporal back, answers 200 with every incident in
// alert order.
func TestPartialFailure(t *testing.T) {
	f := &fakeTemporal{failFrom: 51}
	h, m := newTestHandler(t, f, Options{})
	msg := body(storm(100)...)
	want := make([]string, 100)
	for i := range want {
		want[i] = incidentIDOf(fmt.Sprintf("svc-%03d", i))
	}

	a := send(t, h, msg)
	require.Equal(t, http.StatusServiceUnavailable, a.code)
	require.NotEmpty(t, a.hdr.Get("Retry-After"))
	require.Contains(t, a.body.Error, "temporal unavailable")
	require.Equal(t, 1.0, refusals(t, m, "temporal_unavailable"))
	require.LessOrEqual(t, len(a.body.IncidentIDs), 50)
	require.Len(t, a.body.Alerts, len(a.body.IncidentIDs))
	require.True(t, isSubsequence(a.body.IncidentIDs, want), "confirmed incidents out of alert order: %v", a.body.IncidentIDs)

	f.mu.Lock()
	f.failFrom = 0
	f.mu.Unlock()
	a = send(t, h, msg)
	require.Equal(t, http.StatusOK, a.code, a.body.Error)
	require.Equal(t, want, a.body.IncidentIDs)
	for i, r := range a.body.Alerts {
		require.Equal(t, ResultDelivered, r.Result, "alert %d (the fake does not say whether it started a run)", i)
	}
}

// TestIncidentOrder: alerts of one incident reach Temporal in message order
// (the workflow acts on it: a resolved notification must not overtake the
// firing one), while the answer keeps the message's order for every alert,
// unmatched ones included.
func TestIncidentOrder(t *testing.T) {
	alerts := []testAlert{
		{"a", "firing", ""}, {"b", "firing", ""}, {"a", "resolved", ""}, {"x", "firing", "Unrelated"},
		{"b", "resolved", ""}, {"a", "firing", ""}, {"c", "firing", ""}, {"a", "resolved", ""},
	}
	f := &fakeTemporal{}
	h, _ := newTestHandler(t, f, Options{Concurrency: 8})
	a := send(t, h, body(alerts...))
	require.Equal(t, http.StatusOK, a.code, a.body.Error)

	var wantIDs []string
	wantOrder := map[string][]string{}
	for i, al := range alerts {
		r := a.body.Alerts[i]
		require.Equal(t, al.status, r.Status, "alert %d", i)
		if al.alertname != "" {
			require.Equal(t, "unmatched", r.Result, "alert %d", i)
			continue
		}
		id := incidentIDOf(al.service)
		require.Equal(t, id, r.IncidentID, "alert %d", i)
		wantIDs = append(wantIDs, id)
		wantOrder[id] = append(wantOrder[id], al.status)
	}
	require.Len(t, a.body.Alerts, len(alerts))
	require.Equal(t, wantIDs, a.body.IncidentIDs)
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Equal(t, wantOrder, f.order)
}

// isSubsequence reports whether sub appears in all, in the same order.
func isSubsequence(sub, all []string) bool {
	j := 0
	for _, s := range all {
		if j < len(sub) && sub[j] == s {
			j++
		}
	}
	return j == len(sub)
}
