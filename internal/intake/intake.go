// Package intake receives Alertmanager's webhook and turns each alert into a
// durable Temporal write: SignalWithStart for firing alerts (one workflow per
// incident, found again by its deterministic ID), Signal for resolved ones.
//
// Its one promise is that an alert is never lost: it answers 2xx only after
// every write was confirmed by Temporal, and 503 otherwise, so that
// Alertmanager retries. Everything it refuses is logged and counted.
//
// The writes of one message run concurrently (Options.Concurrency, one
// incident's alerts still in message order), under a cap on writes in
// flight across all requests (Options.MaxInFlight): a storm waits in
// Alertmanager's retry queue, behind a 503 with Retry-After, never in an
// unbounded queue here.
package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/semaphore"

	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// DefaultMaxBody is the webhook body limit when none is configured.
const DefaultMaxBody = 1 << 20

// The bounds on concurrent writes when none are configured. 16 writes of
// one message at once bring a 1,000-alert message to the rate of the
// Temporal server itself (BenchmarkIntake1000; more buys nothing from the
// embedded server's single SQLite writer, see docs/performance.md); 64
// across requests lets four such messages (or 64 one-alert messages)
// proceed at once before the next waits. A message waits up to 5 s for
// admission: about as long as an admitted 100-alert message takes on the
// embedded server under a storm, so the next one in line is admitted
// rather than refused, and 5 s of waiting plus its own writes still fits in
// Alertmanager's shortest timeout (10 s). Longer than that means Temporal
// is behind, and the 503 hands the queue back to Alertmanager.
const (
	// DefaultConcurrency is how many writes of one message run at once.
	DefaultConcurrency = 16
	// DefaultMaxInFlight is how many writes run at once across all requests.
	DefaultMaxInFlight = 64
	// DefaultQueueWait is how long a message waits for admission before
	// it is refused with 503 (back-pressure).
	DefaultQueueWait = 5 * time.Second
)

// retryAfter is the Retry-After (seconds) of every 503. Alertmanager keeps
// its own back-off and ignores it; other senders may honour it.
const retryAfter = 5 * time.Second

// errBusy marks a write refused because every in-flight slot stayed taken
// for the whole QueueWait: Temporal is slower than alerts arrive.
var errBusy = errors.New("too many Temporal writes in flight")

// Temporal is the slice of the Temporal client intake needs. Dial the
// client with StartedInterceptor, or the answer for a firing alert cannot
// tell a new incident from a repeat (it says delivered).
type Temporal interface {
	SignalWithStartWorkflow(ctx context.Context, workflowID string, signalName string, signalArg interface{},
		options client.StartWorkflowOptions, workflow interface{}, workflowArgs ...interface{}) (client.WorkflowRun, error)
	SignalWorkflow(ctx context.Context, workflowID string, runID string, signalName string, arg interface{}) error
}

// Options configure a Handler.
type Options struct {
	Temporal  Temporal
	TaskQueue string
	// Token, when non-empty, is the bearer token every request must carry.
	Token string
	// MaxBody bounds the request body; zero means DefaultMaxBody.
	MaxBody int64
	// Settings are passed to every incident started.
	Settings workflows.Settings
	// TimelineURL, when set, turns an incident ID into a link to its
	// history (the Temporal Web UI), recorded in the incident.
	TimelineURL func(incidentID string) string
	// WriteTimeout bounds each Temporal call.
	WriteTimeout time.Duration
	// Concurrency bounds the writes of one message in flight at once, so
	// that a large alert group costs a fraction of its size in write
	// latencies instead of one each; zero means DefaultConcurrency.
	Concurrency int
	// MaxInFlight bounds the Temporal writes in flight across every
	// request this Handler serves (one Handler per engine), so that a storm
	// of messages queues in Alertmanager, which retries, rather than in
	// firebreak's memory or Temporal's; zero means DefaultMaxInFlight.
	MaxInFlight int
	// QueueWait is how long a message may wait for its share of the
	// MaxInFlight slots before it is answered 503 with Retry-After; zero
	// means DefaultQueueWait.
	QueueWait time.Duration
	Log       *slog.Logger
	Metrics   *metrics.Metrics
}

// Handler serves POST /webhook/alertmanager.
type Handler struct {
	opts     Options
	runbooks atomic.Pointer[runbooks.Set]
	// slots are the MaxInFlight Temporal writes in flight, taken by whole
	// messages: a message takes the writes it runs at once (its share, up
	// to Concurrency) when it is admitted and gives them back when it is
	// answered. The semaphore serves waiters in arrival order, so a large
	// message is not starved by small ones, and a message once admitted
	// runs at its full share to the end instead of competing write by
	// write with every later message (which made all of them slow: under
	// 100 messages at once, each took longer than Alertmanager's timeout).
	slots *semaphore.Weighted
	// queued counts the messages waiting for admission.
	queued atomic.Int64
	// unknownOnce logs, once, that the client cannot tell started from
	// signalled.
	unknownOnce sync.Once
}

// New returns a handler matching alerts against set.
func New(set *runbooks.Set, opts Options) *Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New()
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = DefaultQueueWait
	}
	h := &Handler{opts: opts, slots: semaphore.NewWeighted(int64(opts.MaxInFlight))}
	h.runbooks.Store(set)
	return h
}

// SetRunbooks swaps the runbook set for new alerts. Incidents in flight keep
// the runbook source they started with.
func (h *Handler) SetRunbooks(set *runbooks.Set) { h.runbooks.Store(set) }

// Runbooks returns the set new alerts are matched against.
func (h *Handler) Runbooks() *runbooks.Set { return h.runbooks.Load() }

// Response is the webhook's JSON answer. On a 503 it lists only the alerts
// whose write was confirmed before the request gave up, still in alert
// order; Alertmanager resends them all, and the repeats are harmless. Both
// lists are always JSON arrays, empty rather than null, whatever the status.
type Response struct {
	// IncidentIDs lists the incident of every matched alert, in alert order.
	IncidentIDs []string `json:"incident_ids"`
	// Alerts says what intake did with each alert, in alert order.
	Alerts []Result `json:"alerts"`
	// Error says why the request was refused or not fully recorded.
	Error string `json:"error,omitempty"`
}

// MarshalJSON writes nil lists as [], so that no answer (a refusal
// included) says null where a client expects a list.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response // without this method
	p := plain(r)
	if p.IncidentIDs == nil {
		p.IncidentIDs = []string{}
	}
	if p.Alerts == nil {
		p.Alerts = []Result{}
	}
	return json.Marshal(p)
}

// The values of Result.Result, which are also the result label of
// firebreak_alerts_total.
const (
	// ResultStarted: a firing alert's SignalWithStart started a new run of
	// its incident (none was open).
	ResultStarted = "started"
	// ResultSignalled: a firing alert's SignalWithStart found its incident
	// open and signalled it; no second run was started.
	ResultSignalled = "signalled"
	// ResultDelivered: a firing alert's SignalWithStart was confirmed, but
	// the Temporal client did not say whether it started a run (it was not
	// dialled with StartedInterceptor). The engine always installs it.
	ResultDelivered = "delivered"
	// ResultResolved: a resolved alert was signalled to its open incident.
	ResultResolved = "resolved"
	// ResultNoOpenIncident: a resolved alert's incident is not open (never
	// started, or already closed); nothing was written.
	ResultNoOpenIncident = "no_open_incident"
	// ResultUnmatched: no runbook matches the alert; nothing was written.
	ResultUnmatched = "unmatched"
)

// Result is what intake did with one alert.
type Result struct {
	Fingerprint string `json:"fingerprint"`
	Status      string `json:"status"`
	Runbook     string `json:"runbook,omitempty"`
	IncidentID  string `json:"incident_id,omitempty"`
	// Result is one of the Result* constants.
	Result string `json:"result"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code, resp := h.serve(r)
	h.opts.Metrics.IntakeDuration.Observe(time.Since(start).Seconds())
	h.opts.Metrics.WebhookRequests.WithLabelValues(fmt.Sprint(code)).Inc()
	w.Header().Set("Content-Type", "application/json")
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="firebreak"`)
	}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(resp)
}

func (h *Handler) refuse(r *http.Request, code int, reason, detail string) (int, Response) {
	h.opts.Metrics.Refusals.WithLabelValues(reason).Inc()
	h.opts.Log.Warn("webhook refused", "reason", reason, "detail", detail, "remote", r.RemoteAddr, "code", code)
	return code, Response{Error: detail}
}

func (h *Handler) serve(r *http.Request) (int, Response) {
	if r.Method != http.MethodPost {
		return h.refuse(r, http.StatusMethodNotAllowed, "method", "use POST")
	}
	if h.opts.Token != "" && !validBearer(r.Header.Get("Authorization"), h.opts.Token) {
		return h.refuse(r, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.opts.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return h.refuse(r, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body larger than %d bytes", h.opts.MaxBody))
		}
		return h.refuse(r, http.StatusBadRequest, "read_error", "reading body: "+err.Error())
	}
	msg, err := Decode(body)
	if err != nil {
		return h.refuse(r, http.StatusBadRequest, "malformed", err.Error())
	}
	set := h.runbooks.Load()
	results, done, fail := h.deliverAll(r.Context(), set, msg.Alerts)
	resp := Response{IncidentIDs: []string{}, Alerts: make([]Result, 0, len(msg.Alerts))}
	for i, res := range results {
		if !done[i] {
			continue
		}
		h.opts.Metrics.Alerts.WithLabelValues(res.Result).Inc()
		if res.IncidentID != "" {
			resp.IncidentIDs = append(resp.IncidentIDs, res.IncidentID)
		}
		resp.Alerts = append(resp.Alerts, res)
	}
	if fail == nil {
		return http.StatusOK, resp
	}
	if errors.Is(fail.err, errBusy) {
		h.opts.Metrics.Refusals.WithLabelValues("backpressure").Inc()
		h.opts.Log.Warn("webhook refused: Temporal writes at their cap; answering 503 with Retry-After so Alertmanager retries",
			"reason", "backpressure", "max_in_flight", h.opts.MaxInFlight, "queue_wait", h.opts.QueueWait,
			"alerts", len(msg.Alerts), "confirmed", len(resp.Alerts), "remote", r.RemoteAddr)
		resp.Error = "overloaded: " + fail.err.Error()
		return http.StatusServiceUnavailable, resp
	}
	h.opts.Metrics.Refusals.WithLabelValues("temporal_unavailable").Inc()
	h.opts.Log.Error("alert not recorded; answering 503 so Alertmanager retries",
		"fingerprint", fail.fingerprint, "incident", fail.incidentID, "alerts", len(msg.Alerts), "confirmed", len(resp.Alerts), "err", fail.err)
	resp.Error = "temporal unavailable: " + fail.err.Error()
	return http.StatusServiceUnavailable, resp
}

// failure is the first write of a message that failed, the one the answer
// names; the writes cancelled after it are not failures of their own.
type failure struct {
	fingerprint, incidentID string
	err                     error
}

// deliverAll records the alerts of one message in Temporal and returns each
// alert's result, whether it was confirmed, and the first failure, if any.
//
// Alerts of one incident are written one after another, in message order,
// because the workflow acts on their order (a resolved notification must
// not overtake the firing one that starts the incident); different
// incidents are written concurrently, Concurrency at a time. The message
// first takes that many of the Handler's MaxInFlight slots, waiting at
// most QueueWait behind earlier messages (see acquire). The first failure
// cancels the writes still running: the answer is 503 whatever they do,
// and Alertmanager's retry repeats them harmlessly.
func (h *Handler) deliverAll(ctx context.Context, set *runbooks.Set, alerts []AlertIn) ([]Result, []bool, *failure) {
	results := make([]Result, len(alerts))
	done := make([]bool, len(alerts))
	rbs := make([]*runbooks.Runbook, len(alerts))
	var groups [][]int // alert indexes per incident, incidents in order of first appearance
	byID := map[string]int{}
	for i, a := range alerts {
		results[i], rbs[i] = h.match(set, a)
		if rbs[i] == nil {
			done[i] = true
			continue
		}
		g, ok := byID[results[i].IncidentID]
		if !ok {
			g = len(groups)
			byID[results[i].IncidentID] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	if len(groups) == 0 {
		return results, done, nil
	}
	writers := min(h.opts.Concurrency, h.opts.MaxInFlight, len(groups))
	if err := h.acquire(ctx, writers); err != nil {
		first := groups[0][0]
		return results, done, &failure{fingerprint: alerts[first].Fingerprint, incidentID: results[first].IncidentID, err: err}
	}
	defer h.slots.Release(int64(writers))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first *failure
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	fail := func(i int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = &failure{fingerprint: alerts[i].Fingerprint, incidentID: results[i].IncidentID, err: err}
			cancel()
		}
	}
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := int(next.Add(1) - 1); g < len(groups); g = int(next.Add(1) - 1) {
				for _, i := range groups[g] {
					if ctx.Err() != nil {
						return
					}
					res, err := h.deliver(ctx, rbs[i], alerts[i], results[i])
					if err != nil {
						fail(i, err)
						return
					}
					results[i], done[i] = res, true
				}
			}
		}()
	}
	wg.Wait()
	return results, done, first
}

// acquire admits a message: it takes n of the MaxInFlight write slots,
// waiting at most QueueWait behind the messages that came first. Past
// that, Temporal is slower than alerts arrive, and a 503 pushes the queue
// back to Alertmanager instead of growing it here.
func (h *Handler) acquire(ctx context.Context, n int) error {
	if h.slots.TryAcquire(int64(n)) {
		return nil
	}
	h.queued.Add(1)
	defer h.queued.Add(-1)
	wctx, cancel := context.WithTimeout(ctx, h.opts.QueueWait)
	defer cancel()
	if err := h.slots.Acquire(wctx, int64(n)); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("wait for a write slot: %w", ctx.Err())
		}
		return fmt.Errorf("all %d write slots still busy after %s: %w", h.opts.MaxInFlight, h.opts.QueueWait, errBusy)
	}
	return nil
}

// match finds the runbook of one alert and derives its incident, before any
// write, so that alerts of one incident can be ordered.
func (h *Handler) match(set *runbooks.Set, a AlertIn) (Result, *runbooks.Runbook) {
	res := Result{Fingerprint: a.Fingerprint, Status: a.Status}
	rb := set.Match(a.Labels)
	if rb == nil {
		res.Result = ResultUnmatched
		h.opts.Log.Info("no runbook matches alert", "fingerprint", a.Fingerprint, "labels", a.Labels)
		return res, nil
	}
	res.Runbook = rb.Name
	res.IncidentID = IncidentID(rb.Name, rb.IncidentKey(a.Labels, a.Fingerprint))
	return res, rb
}

// deliver records one matched alert in Temporal; res is its match.
func (h *Handler) deliver(ctx context.Context, rb *runbooks.Runbook, a AlertIn, res Result) (Result, error) {
	alert := incident.Alert{
		Status: a.Status, Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt, EndsAt: a.EndsAt,
		GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint,
	}
	wctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
	defer cancel()
	if a.Status == "resolved" {
		err := h.opts.Temporal.SignalWorkflow(wctx, res.IncidentID, "", workflows.SignalAlert, alert)
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			res.Result = ResultNoOpenIncident
			return res, nil
		case err != nil:
			return res, fmt.Errorf("signal %s: %w", res.IncidentID, err)
		}
		res.Result = ResultResolved
		return res, nil
	}
	in := workflows.Input{
		IncidentID: res.IncidentID,
		Runbook:    workflows.PinnedRunbook{Name: rb.Name, Filename: rb.Filename, Source: rb.Source, SHA256: rb.SHA256},
		Alert:      alert,
		Settings:   h.opts.Settings,
	}
	if h.opts.TimelineURL != nil {
		in.Settings.TimelineURL = h.opts.TimelineURL(res.IncidentID)
	}
	opts := client.StartWorkflowOptions{
		ID:                       res.IncidentID,
		TaskQueue:                h.opts.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            fmt.Sprintf("%s: %s", rb.Name, a.Labels["alertname"]),
	}
	sctx, started := withStartedHolder(wctx)
	if _, err := h.opts.Temporal.SignalWithStartWorkflow(sctx, res.IncidentID, workflows.SignalAlert, alert, opts, workflows.IncidentWorkflowName, in); err != nil {
		return res, fmt.Errorf("signal-with-start %s: %w", res.IncidentID, err)
	}
	res.Result = started.result()
	if res.Result == ResultDelivered {
		h.unknownOnce.Do(func() {
			h.opts.Log.Warn("the Temporal client does not report whether SignalWithStart started a run; firing alerts are answered \"delivered\" (dial it with intake.StartedInterceptor)")
		})
	}
	return res, nil
}

// IncidentID derives the workflow ID of an incident from its runbook and
// incident key: the same alert group always lands on the same workflow.
func IncidentID(runbook, key string) string {
	sum := sha256.Sum256([]byte(key))
	return runbook + "/" + hex.EncodeToString(sum[:8])
}

func validBearer(header, token string) bool {
	got, ok := bearer.FromHeader(header)
	return ok && got.Equal(bearer.Of(token))
}

// AlertIn is one decoded, validated alert.
type AlertIn struct {
	Status       string
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	Fingerprint  string
}

// Message is a decoded webhook body.
type Message struct {
	GroupKey string
	Alerts   []AlertIn
}

// Decode parses and validates an Alertmanager webhook body (version 4),
// with Alertmanager's own message type.
func Decode(body []byte) (*Message, error) {
	var m webhook.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if m.Data == nil {
		return nil, errors.New("not an Alertmanager webhook message")
	}
	if m.Version != "4" {
		return nil, fmt.Errorf("unsupported webhook version %q (want \"4\")", m.Version)
	}
	if len(m.Alerts) == 0 {
		return nil, errors.New("message has no alerts")
	}
	out := &Message{GroupKey: m.GroupKey, Alerts: make([]AlertIn, 0, len(m.Alerts))}
	for i, a := range m.Alerts {
		if a.Status != "firing" && a.Status != "resolved" {
			return nil, fmt.Errorf("alert %d: status %q is neither firing nor resolved", i, a.Status)
		}
		if len(a.Labels) == 0 {
			return nil, fmt.Errorf("alert %d: no labels", i)
		}
		fp := a.Fingerprint
		if fp == "" {
			fp = fingerprint(a.Labels)
		}
		out.Alerts = append(out.Alerts, AlertIn{
			Status: a.Status, Labels: map[string]string(a.Labels), Annotations: map[string]string(a.Annotations),
			StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL, Fingerprint: fp,
		})
	}
	return out, nil
}

// fingerprint stands in for Alertmanager's when a sender omits it: a stable
// digest of the sorted label set.
// It is not model.LabelSet.Fingerprint, which is FNV-1a and so a different
// string for the same labels: incident IDs are built from this one
// (fingerprint_test.go pins it).
func fingerprint(ls map[string]string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(ls[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
