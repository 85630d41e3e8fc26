// Package intake receives Alertmanager's webhook and turns each alert into a
// durable Temporal write: SignalWithStart for firing alerts (one workflow per
// incident, found again by its deterministic ID), Signal for resolved ones.
//
// Its one promise is that an alert is never lost: it answers 2xx only after
// every write was confirmed by Temporal, and 503 otherwise, so that
// Alertmanager retries. Everything it refuses is logged and counted.
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
	"sync/atomic"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// DefaultMaxBody is the webhook body limit when none is configured.
const DefaultMaxBody = 1 << 20

// Temporal is the slice of the Temporal client intake needs.
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
	Log          *slog.Logger
	Metrics      *metrics.Metrics
}

// Handler serves POST /webhook/alertmanager.
type Handler struct {
	opts     Options
	runbooks atomic.Pointer[runbooks.Set]
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
	h := &Handler{opts: opts}
	h.runbooks.Store(set)
	return h
}

// SetRunbooks swaps the runbook set for new alerts. Incidents in flight keep
// the runbook source they started with.
func (h *Handler) SetRunbooks(set *runbooks.Set) { h.runbooks.Store(set) }

// Runbooks returns the set new alerts are matched against.
func (h *Handler) Runbooks() *runbooks.Set { return h.runbooks.Load() }

// Response is the webhook's JSON answer.
type Response struct {
	// IncidentIDs lists the incident of every matched alert, in alert order.
	IncidentIDs []string `json:"incident_ids"`
	Alerts      []Result `json:"alerts"`
	Error       string   `json:"error,omitempty"`
}

// Result is what intake did with one alert.
type Result struct {
	Fingerprint string `json:"fingerprint"`
	Status      string `json:"status"`
	Runbook     string `json:"runbook,omitempty"`
	IncidentID  string `json:"incident_id,omitempty"`
	// Result: started_or_signalled, resolved_signalled, no_open_incident, unmatched.
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
		w.Header().Set("Retry-After", "5")
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
	resp := Response{IncidentIDs: []string{}, Alerts: make([]Result, 0, len(msg.Alerts))}
	for _, a := range msg.Alerts {
		res, err := h.deliver(r.Context(), set, a)
		if err != nil {
			h.opts.Metrics.Refusals.WithLabelValues("temporal_unavailable").Inc()
			h.opts.Log.Error("alert not recorded; answering 503 so Alertmanager retries", "fingerprint", a.Fingerprint, "incident", res.IncidentID, "err", err)
			resp.Error = "temporal unavailable: " + err.Error()
			return http.StatusServiceUnavailable, resp
		}
		h.opts.Metrics.Alerts.WithLabelValues(res.Result).Inc()
		if res.IncidentID != "" {
			resp.IncidentIDs = append(resp.IncidentIDs, res.IncidentID)
		}
		resp.Alerts = append(resp.Alerts, res)
	}
	return http.StatusOK, resp
}

// deliver records one alert in Temporal.
func (h *Handler) deliver(ctx context.Context, set *runbooks.Set, a AlertIn) (Result, error) {
	res := Result{Fingerprint: a.Fingerprint, Status: a.Status}
	rb := set.Match(a.Labels)
	if rb == nil {
		res.Result = "unmatched"
		h.opts.Log.Info("no runbook matches alert", "fingerprint", a.Fingerprint, "labels", a.Labels)
		return res, nil
	}
	res.Runbook = rb.Name
	res.IncidentID = IncidentID(rb.Name, rb.IncidentKey(a.Labels, a.Fingerprint))
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
			res.Result = "no_open_incident"
			return res, nil
		case err != nil:
			return res, fmt.Errorf("signal %s: %w", res.IncidentID, err)
		}
		res.Result = "resolved_signalled"
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
	if _, err := h.opts.Temporal.SignalWithStartWorkflow(wctx, res.IncidentID, workflows.SignalAlert, alert, opts, workflows.IncidentWorkflowName, in); err != nil {
		return res, fmt.Errorf("signal-with-start %s: %w", res.IncidentID, err)
	}
	res.Result = "started_or_signalled"
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
