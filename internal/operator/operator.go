// Package operator is the operator HTTP API, the one door `firebreak
// approve`, `deny`, `ack`, `pause`, `resume` and `guardrails` knock on. It
// owns everything HTTP about those requests: the routes under /api/v1/,
// operator authentication (internal/bearer), one body limit, strict JSON
// decoding, and one way of refusing (Error), logged, counted and answered
// with one JSON body. What a request does is someone else's: the Decider
// (internal/approvals) and the Switch (internal/guard) are plain Go calls
// to Temporal behind the small interfaces declared here.
package operator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/workflows"
)

// Decider delivers operators' answers to incidents (approvals.Service).
type Decider interface {
	Decide(ctx context.Context, incidentID string, d workflows.DecisionRequest) (incident.ApprovalRecord, error)
	Acknowledge(ctx context.Context, incidentID string, ack workflows.AckRequest) (incident.Acknowledgement, error)
}

// Switch is the run-time kill switch (guard.Service).
type Switch interface {
	Pause(ctx context.Context, by, reason string) (workflows.ControlState, error)
	Resume(ctx context.Context, by string) (workflows.ControlState, error)
	Status(ctx context.Context) (workflows.ControlState, error)
}

// Options configure an API.
type Options struct {
	// Operators may use the API; with none, every request is answered 403.
	Operators []bearer.Operator
	// Decider serves /api/v1/decisions and /api/v1/acks; nil leaves them out.
	Decider Decider
	// Switch serves /api/v1/pause, /api/v1/resume and /api/v1/guardrails;
	// nil leaves them out.
	Switch  Switch
	Log     *slog.Logger     // nil means slog.Default()
	Metrics *metrics.Metrics // where refusals are counted; nil counts nothing
}

// API serves the operator endpoints:
//
//	POST /api/v1/decisions {"incident_id", "decision": "approve"|"deny", "approval_id"?} → 200 and the incident.ApprovalRecord
//	POST /api/v1/acks      {"incident_id"}                                           → 200 and the incident.Acknowledgement
//	POST /api/v1/pause     {"reason"?} (body optional)                               → 200 and the workflows.ControlState
//	POST /api/v1/resume    (body optional, {})                                       → 200 and the workflows.ControlState
//	GET  /api/v1/guardrails                                                          → 200 and the workflows.ControlState
//
// every one with "Authorization: Bearer <operator token>". Refusals (404
// unknown path, 405 wrong method, 403 no operators configured, 401 missing
// or unknown token, 413 body over MaxBodyBytes, 400 malformed, 409 refused
// by the incident or the Control workflow) answer ErrorBody and are logged
// and counted in firebreak_refusals_total; 503 (also ErrorBody) means
// Temporal could not be reached or did not answer within RequestTimeout.
type API struct {
	operators *bearer.Operators
	routes    map[string]route
	log       *slog.Logger
	metrics   *metrics.Metrics
}

// route is one endpoint: the method it takes and what it does for an
// authenticated operator.
type route struct {
	method string
	serve  func(ctx context.Context, w http.ResponseWriter, r *http.Request, operator string) (any, error)
}

// New returns the API.
func New(o Options) *API {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	a := &API{operators: bearer.NewOperators(o.Operators), routes: map[string]route{}, log: o.Log, metrics: o.Metrics}
	if d := o.Decider; d != nil {
		a.routes[PathDecisions] = post(incidentShape, decide(d))
		a.routes[PathAcks] = post(incidentShape, acknowledge(d))
	}
	if s := o.Switch; s != nil {
		a.routes[PathPause] = post(objectShape, pause(s))
		a.routes[PathResume] = post(objectShape, func(ctx context.Context, name string, _ ResumeBody) (any, error) {
			return s.Resume(ctx, By(name))
		})
		a.routes[PathGuardrails] = route{method: http.MethodGet, serve: func(ctx context.Context, _ http.ResponseWriter, _ *http.Request, _ string) (any, error) {
			return s.Status(ctx)
		}}
	}
	return a
}

// ServeHTTP routes, authenticates, serves and answers one request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := a.routes[r.URL.Path]
	switch {
	case !ok:
		a.answer(w, r, "", nil, &Error{Status: http.StatusNotFound, Reason: "operator_not_found", Detail: "no operator endpoint " + r.URL.Path})
		return
	case r.Method != rt.method && (rt.method != http.MethodGet || r.Method != http.MethodHead):
		allow := rt.method
		if allow == http.MethodGet {
			allow = "GET, HEAD"
		}
		w.Header().Set("Allow", allow)
		a.answer(w, r, "", nil, &Error{Status: http.StatusMethodNotAllowed, Reason: "operator_method_not_allowed",
			Detail: fmt.Sprintf("%s takes %s, not %s", r.URL.Path, rt.method, r.Method)})
		return
	}
	name, denied := a.operators.Authenticate(w, r)
	if denied != nil {
		a.answer(w, r, "", nil, &Error{Status: denied.Status, Reason: denied.Reason, Detail: denied.Detail})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	v, err := rt.serve(ctx, w, r, name)
	a.answer(w, r, name, v, err)
}

// post is a POST endpoint taking a JSON body of type B, decoded strictly
// (see decode); shape describes the body for a caller who sent another.
func post[B any](shape string, serve func(ctx context.Context, operator string, body B) (any, error)) route {
	return route{method: http.MethodPost, serve: func(ctx context.Context, w http.ResponseWriter, r *http.Request, operator string) (any, error) {
		var body B
		if err := decode(w, r, &body, shape); err != nil {
			return nil, err
		}
		return serve(ctx, operator, body)
	}}
}

// Body shapes named in a 400's message.
const (
	objectShape   = "a JSON object"
	incidentShape = "a JSON body with incident_id"
)

// decode reads an optional JSON body strictly: one value, no unknown
// fields, at most MaxBodyBytes (413 beyond, checked before anything reads
// it when the length is declared, and before any decoding otherwise, so an
// oversized body is 413 whatever its first bytes say). No body decodes as
// the zero value.
func decode(w http.ResponseWriter, r *http.Request, v any, shape string) error {
	tooLarge := &Error{Status: http.StatusRequestEntityTooLarge, Reason: "operator_too_large", Detail: fmt.Sprintf("body over %d bytes", MaxBodyBytes)}
	if r.ContentLength > MaxBodyBytes {
		return tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if errors.As(err, new(*http.MaxBytesError)) {
		return tooLarge
	}
	if err != nil {
		return malformed("want %s: %v", shape, err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		if _, extra := dec.Token(); !errors.Is(extra, io.EOF) {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err != nil {
		return malformed("want %s: %v", shape, err)
	}
	return nil
}

// answer writes the result of a request: 200 and v, or the refusal as
// ErrorBody (logged and counted), or 503 for any other error.
func (a *API) answer(w http.ResponseWriter, r *http.Request, operator string, v any, err error) {
	if err == nil {
		reply(w, http.StatusOK, v)
		return
	}
	var (
		refused *Error
		domain  Refusal
	)
	switch {
	case errors.As(err, &refused):
	case errors.As(err, &domain):
		refused = &Error{Status: http.StatusConflict, Reason: domain.RefusalMetric(), Detail: domain.Error()}
	default:
		a.log.Error("operator request failed", "path", r.URL.Path, "operator", operator, "err", err)
		reply(w, http.StatusServiceUnavailable, ErrorBody{Error: err.Error()})
		return
	}
	if a.metrics != nil {
		a.metrics.Refusals.WithLabelValues(refused.Reason).Inc()
	}
	a.log.Warn("operator request refused", "path", r.URL.Path, "status", refused.Status, "reason", refused.Reason,
		"detail", refused.Detail, "operator", operator, "remote", r.RemoteAddr)
	reply(w, refused.Status, ErrorBody{Error: refused.Detail})
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
