package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"
)

// Limits on operator requests.
const (
	// MaxBodyBytes bounds a request body; larger ones get 413.
	MaxBodyBytes = 64 << 10
	// MaxReasonBytes bounds a pause reason, which every refused incident
	// records and every `firebreak guardrails` prints.
	MaxReasonBytes = 1000
	// requestTimeout bounds the Temporal calls behind one request: a pause
	// waits for every slot holder to be told to stop.
	requestTimeout = 15 * time.Second
)

// Paths of the operator API this package serves.
const (
	PathPause      = "/api/v1/pause"
	PathResume     = "/api/v1/resume"
	PathGuardrails = "/api/v1/guardrails"
)

// PauseBody is the JSON body of POST /api/v1/pause. The body may be empty.
type PauseBody struct {
	Reason string `json:"reason,omitempty"` // why; at most MaxReasonBytes bytes of UTF-8
}

// ResumeBody is the JSON body of POST /api/v1/resume. It has no fields;
// the body may be empty.
type ResumeBody struct{}

// ErrorBody is what a refused or failed request answers.
type ErrorBody struct {
	Error string `json:"error"`
}

// Handler serves the kill switch's operator API, authenticated with
// operator tokens exactly like /api/v1/decisions:
//
//	POST /api/v1/pause {"reason": "..."}  → 200 and the workflows.ControlState
//	POST /api/v1/resume                  → 200 and the workflows.ControlState
//	GET  /api/v1/guardrails              → 200 and the workflows.ControlState
//
// Refusals (401 unknown token, 403 no operators configured, 400 malformed,
// 413 too large, 409 refused by the control workflow) are logged and
// counted in firebreak_refusals_total; 503 means Temporal could not be
// reached or did not answer in time.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathPause, s.servePause)
	mux.HandleFunc("POST "+PathResume, s.serveResume)
	mux.HandleFunc("GET "+PathGuardrails, s.serveStatus)
	return mux
}

func (s *Service) servePause(w http.ResponseWriter, r *http.Request) {
	name, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var body PauseBody
	if !s.decode(w, r, &body) {
		return
	}
	if len(body.Reason) > MaxReasonBytes || !utf8.ValidString(body.Reason) {
		s.refuse(w, r, http.StatusBadRequest, "operator_malformed", fmt.Sprintf("reason must be UTF-8 text of at most %d bytes", MaxReasonBytes))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	st, err := s.Pause(ctx, Operator(name), body.Reason)
	s.answer(w, r, st, err)
}

func (s *Service) serveResume(w http.ResponseWriter, r *http.Request) {
	name, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var body ResumeBody
	if !s.decode(w, r, &body) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	st, err := s.Resume(ctx, Operator(name))
	s.answer(w, r, st, err)
}

func (s *Service) serveStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	st, err := s.Status(ctx)
	s.answer(w, r, st, err)
}

// Operator is how an operator is named in the control workflow's state
// (PauseRecord.By), as in incidents' acknowledgements.
func Operator(name string) string { return "operator:" + name }

func (s *Service) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	name, denied := s.operators.Authenticate(w, r)
	if denied != nil {
		s.refuse(w, r, denied.Status, denied.Reason, denied.Detail)
		return "", false
	}
	return name, true
}

// decode reads an optional JSON body strictly: unknown fields, trailing
// data and bodies over MaxBodyBytes are refused.
func (s *Service) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength > MaxBodyBytes {
		s.refuse(w, r, http.StatusRequestEntityTooLarge, "operator_too_large", fmt.Sprintf("body over %d bytes", MaxBodyBytes))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return true // no body: all fields are optional
	}
	if err == nil {
		if _, extra := dec.Token(); !errors.Is(extra, io.EOF) {
			err = errors.New("trailing data after the JSON object")
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.refuse(w, r, http.StatusRequestEntityTooLarge, "operator_too_large", fmt.Sprintf("body over %d bytes", MaxBodyBytes))
		return false
	case err != nil:
		s.refuse(w, r, http.StatusBadRequest, "operator_malformed", "want a JSON object: "+err.Error())
		return false
	}
	return true
}

func (s *Service) refuse(w http.ResponseWriter, r *http.Request, code int, metric, msg string) {
	if s.metrics != nil {
		s.metrics.Refusals.WithLabelValues(metric).Inc()
	}
	s.log.Warn("operator request refused", "path", r.URL.Path, "reason", metric, "detail", msg, "remote", r.RemoteAddr)
	reply(w, code, ErrorBody{Error: msg})
}

func (s *Service) answer(w http.ResponseWriter, r *http.Request, st any, err error) {
	var rejected *RejectedError
	switch {
	case errors.As(err, &rejected):
		s.refuse(w, r, http.StatusConflict, "guard_rejected", rejected.Reason)
	case err != nil:
		s.log.Error("operator request failed", "path", r.URL.Path, "err", err)
		reply(w, http.StatusServiceUnavailable, ErrorBody{Error: err.Error()})
	default:
		reply(w, http.StatusOK, st)
	}
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
