package operator

import (
	"fmt"
	"net/http"
	"time"
)

// Paths of the operator API. Prefix is where the engine mounts the API; an
// unknown path under it is answered 404 by the API itself.
const (
	Prefix         = "/api/v1/"
	PathDecisions  = "/api/v1/decisions"
	PathAcks       = "/api/v1/acks"
	PathPause      = "/api/v1/pause"
	PathResume     = "/api/v1/resume"
	PathGuardrails = "/api/v1/guardrails"
)

// Limits on operator requests, the same for every endpoint.
const (
	// MaxBodyBytes bounds a request body (64 KiB); a larger one is answered
	// 413 and nothing reaches Temporal. Every body the API takes is a few
	// short strings, so this is generous.
	MaxBodyBytes = 64 << 10
	// MaxReasonBytes bounds a pause reason, which every refused incident
	// records and every `firebreak guardrails` prints.
	MaxReasonBytes = 1000
	// MaxIncidentIDBytes bounds an incident ID in a request: the workflow
	// IDs firebreak makes are far shorter.
	MaxIncidentIDBytes = 1000
	// RequestTimeout bounds the Temporal calls behind one request: a pause
	// waits for every slot holder to be told to stop. When it passes the
	// request is answered 503.
	RequestTimeout = 15 * time.Second
)

// DecisionBody is the JSON body of POST /api/v1/decisions and /api/v1/acks.
type DecisionBody struct {
	IncidentID string `json:"incident_id"`
	Decision   string `json:"decision,omitempty"`    // approve or deny (decisions only)
	ApprovalID string `json:"approval_id,omitempty"` // optional: the pending one by default
}

// PauseBody is the JSON body of POST /api/v1/pause. The body may be empty.
type PauseBody struct {
	Reason string `json:"reason,omitempty"` // why; at most MaxReasonBytes bytes of UTF-8
}

// ResumeBody is the JSON body of POST /api/v1/resume. It has no fields;
// the body may be empty.
type ResumeBody struct{}

// ErrorBody is what every refused or failed request answers.
type ErrorBody struct {
	Error string `json:"error"`
}

// Error is a request the operator API refuses: the one error type every
// endpoint returns for a request that retrying unchanged will not fix. It
// is answered with Status and ErrorBody{Detail}, logged, and counted in
// firebreak_refusals_total{reason=Reason}.
type Error struct {
	Status int    // the HTTP status it is answered with
	Reason string // stable label for the refusals metric
	Detail string // what to tell the caller
}

func (e *Error) Error() string { return e.Detail }

// Refusal is a domain error that means the request was understood and
// refused (nothing pending, already decided, refused by the Control
// workflow's validator). The API answers it 409 with its message and
// counts it under RefusalMetric; approvals.RefusedError and
// guard.RejectedError implement it.
type Refusal interface {
	error
	RefusalMetric() string // the reason label in firebreak_refusals_total
}

// malformed is a 400: a body the endpoint cannot use.
func malformed(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Reason: "operator_malformed", Detail: fmt.Sprintf(format, args...)}
}

// By is how an operator is named in what the incident and the Control
// workflow record (an acknowledgement's By, PauseRecord.By).
func By(name string) string { return "operator:" + name }
