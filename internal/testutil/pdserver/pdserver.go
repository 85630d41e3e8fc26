// Package pdserver is a PagerDuty Events API v2 server for tests. It checks
// every request against the API's contract (required fields, enumerations,
// sizes) and answers as PagerDuty does, and it keeps incidents by dedup key
// the way PagerDuty does, so tests can show that firebreak sends valid
// events and never opens a duplicate incident. Fault knobs make it fail or
// slow down on demand.
package pdserver

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"
)

// Limits of the Events API v2 this server enforces.
const (
	MaxBodyBytes    = 512 * 1024 // total event size
	MaxSummaryLen   = 1024       // payload.summary
	MaxDedupKeyLen  = 255        // dedup_key
	RoutingKeyLen   = 32         // integration (routing) keys are 32 characters
	enqueuePath     = "/v2/enqueue"
	maxReadBodySize = MaxBodyBytes + 1
)

// TestRoutingKey is a routing key of the right shape for tests.
const TestRoutingKey = "R0UTINGKEYR0UTINGKEYR0UTINGKEY32"

// Incident states, as PagerDuty names them.
const (
	StatusTriggered    = "triggered"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
)

// Event is one request the server received, valid or not.
type Event struct {
	At         time.Time      // when it arrived
	Status     int            // the HTTP status answered
	Action     string         // event_action as sent
	DedupKey   string         // dedup_key as sent, or as generated for a trigger without one
	RoutingKey string         // routing_key as sent (tests may check it; it is a test key)
	Payload    map[string]any // the payload object as sent (nil for ack/resolve)
	Links      []any          // links as sent
	Errors     []string       // why the event was refused, when it was
	Size       int            // body size in bytes
}

// Incident is what PagerDuty would show for one dedup key's incident.
type Incident struct {
	DedupKey      string         // the key every event for the incident carried
	Status        string         // StatusTriggered, StatusAcknowledged or StatusResolved
	Summary       string         // the first trigger's summary
	Severity      string         // the latest trigger's severity
	Source        string         // the first trigger's source
	CustomDetails map[string]any // the latest trigger's custom_details
	Triggers      int            // how many trigger events were folded into this incident
	Opened        time.Time      // when the first trigger arrived
	Updated       time.Time      // when the last event for it arrived
}

// Server is a running contract server. Its methods are safe for concurrent
// use by the test and the code under test.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port); events go to URL+"/v2/enqueue".
	URL string

	srv       *httptest.Server
	closeOnce sync.Once

	mu         sync.Mutex
	events     []Event
	incidents  []*Incident // in opening order; a resolved key may reopen as a new incident
	failNext   int
	failStatus int
	retryAfter time.Duration
	delay      time.Duration
}

// Start runs a server on 127.0.0.1 until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pdserver: listen: %v", err)
	}
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 5 * time.Second}}
	s.srv.Start()
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server; later requests fail to connect. It is safe to
// call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// FailNext makes the next n requests fail with status (429, 500, 503...)
// before any validation, the way an overloaded PagerDuty answers; a large n
// makes every request fail.
func (s *Server) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// SetRetryAfter makes the failures FailNext causes carry a Retry-After
// header of d (whole seconds, as PagerDuty sends it; 0: none).
func (s *Server) SetRetryAfter(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = d
}

// SetDelay makes every later answer wait d (0: answer at once); a request
// whose client gives up stops waiting.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Events returns every request received so far, in order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Incidents returns every incident opened so far, in opening order.
func (s *Server) Incidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Incident, 0, len(s.incidents))
	for _, in := range s.incidents {
		out = append(out, *in)
	}
	return out
}

// Incident returns the latest incident opened with dedupKey.
func (s *Server) Incident(dedupKey string) (Incident, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.latest(dedupKey); in != nil {
		return *in, true
	}
	return Incident{}, false
}

func (s *Server) latest(key string) *Incident {
	for i := len(s.incidents) - 1; i >= 0; i-- {
		if s.incidents[i].DedupKey == key {
			return s.incidents[i]
		}
	}
	return nil
}

// response is PagerDuty's answer body.
type response struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay, retryAfter := s.delay, s.retryAfter
	fail := 0
	if s.failNext > 0 {
		s.failNext--
		fail = s.failStatus
	}
	s.mu.Unlock()
	if r.URL.Path != enqueuePath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Read the body before any delay: net/http notices a client that gave
	// up (and cancels r.Context) only once the body has been read.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReadBodySize))
	if err != nil {
		s.answer(w, Event{Status: http.StatusBadRequest}, response{Status: "invalid event", Message: "Event object is invalid", Errors: []string{"unreadable body"}})
		return
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	ev := Event{At: time.Now(), Size: len(body)}
	if fail != 0 {
		// Record what the refused request was about, leniently.
		var peek struct {
			Action   string `json:"event_action"`
			DedupKey string `json:"dedup_key"`
		}
		_ = json.Unmarshal(body, &peek)
		ev.Action, ev.DedupKey = peek.Action, peek.DedupKey
		ev.Status = fail
		msg := response{Status: "error", Message: "Internal error"}
		if fail == http.StatusTooManyRequests {
			msg = response{Status: "throttle event", Message: "Requests for this service are arriving too quickly. Please retry later."}
		}
		if retryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(retryAfter/time.Second)))
		}
		s.answer(w, ev, msg)
		return
	}
	errs := s.validate(r, body, &ev)
	if len(errs) > 0 {
		ev.Status, ev.Errors = http.StatusBadRequest, errs
		s.answer(w, ev, response{Status: "invalid event", Message: "Event object is invalid", Errors: errs})
		return
	}
	ev.Status = http.StatusAccepted
	s.apply(&ev)
	s.answer(w, ev, response{Status: "success", Message: "Event processed", DedupKey: ev.DedupKey})
}

func (s *Server) answer(w http.ResponseWriter, ev Event, resp response) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ev.Status)
	_ = json.NewEncoder(w).Encode(resp)
}

// apply folds an accepted event into the incidents, as PagerDuty does: a
// trigger on an open key joins that incident, on a resolved or unknown key
// opens a new one; acknowledge and resolve change the open incident's
// status and are ignored for keys without one.
func (s *Server) apply(ev *Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	open := s.latest(ev.DedupKey)
	if open != nil && open.Status == StatusResolved {
		open = nil
	}
	switch ev.Action {
	case "trigger":
		details, _ := ev.Payload["custom_details"].(map[string]any)
		sev, _ := ev.Payload["severity"].(string)
		if open == nil {
			sum, _ := ev.Payload["summary"].(string)
			src, _ := ev.Payload["source"].(string)
			open = &Incident{DedupKey: ev.DedupKey, Status: StatusTriggered, Summary: sum, Source: src, Opened: ev.At}
			s.incidents = append(s.incidents, open)
		}
		open.Triggers++
		open.Severity, open.CustomDetails, open.Updated = sev, details, ev.At
	case "acknowledge":
		if open != nil {
			open.Status, open.Updated = StatusAcknowledged, ev.At
		}
	case "resolve":
		if open != nil {
			open.Status, open.Updated = StatusResolved, ev.At
		}
	}
}

// validate checks a request against the Events API v2 contract and fills
// ev with what it could read. It returns every violation found.
func (s *Server) validate(r *http.Request, body []byte, ev *Event) []string {
	var errs []string
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		errs = append(errs, "Content-Type must be application/json")
	}
	if len(body) > MaxBodyBytes {
		return append(errs, fmt.Sprintf("event is larger than %d bytes", MaxBodyBytes))
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return append(errs, "body is not a JSON object")
	}
	str := func(field string) (string, bool) {
		v, ok := raw[field]
		if !ok {
			return "", false
		}
		var out string
		if json.Unmarshal(v, &out) != nil {
			errs = append(errs, fmt.Sprintf("'%s' must be a string", field))
			return "", false
		}
		return out, true
	}
	ev.RoutingKey, _ = str("routing_key")
	if len(ev.RoutingKey) != RoutingKeyLen {
		errs = append(errs, fmt.Sprintf("'routing_key' must be %d characters", RoutingKeyLen))
	}
	ev.Action, _ = str("event_action")
	switch ev.Action {
	case "trigger", "acknowledge", "resolve":
	default:
		errs = append(errs, "'event_action' must be one of trigger, acknowledge, resolve")
	}
	var hasKey bool
	ev.DedupKey, hasKey = str("dedup_key")
	switch {
	case len(ev.DedupKey) > MaxDedupKeyLen:
		errs = append(errs, fmt.Sprintf("'dedup_key' is longer than %d characters", MaxDedupKeyLen))
	case (ev.Action == "acknowledge" || ev.Action == "resolve") && (!hasKey || ev.DedupKey == ""):
		errs = append(errs, "'dedup_key' is required for "+ev.Action)
	}
	if v, ok := raw["links"]; ok {
		errs = append(errs, checkObjects(v, "links", "href", []string{"href", "text"}, &ev.Links)...)
	}
	if v, ok := raw["images"]; ok {
		var images []any
		errs = append(errs, checkObjects(v, "images", "src", []string{"src", "href", "alt"}, &images)...)
	}
	if ev.Action == "trigger" {
		errs = append(errs, checkPayload(raw["payload"], ev)...)
		if len(errs) == 0 && ev.DedupKey == "" {
			ev.DedupKey = randomKey()
		}
	}
	return errs
}

func checkPayload(raw json.RawMessage, ev *Event) []string {
	if raw == nil {
		return []string{"'payload' is required for trigger"}
	}
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil || p == nil {
		return []string{"'payload' must be an object"}
	}
	ev.Payload = p
	var errs []string
	sum, ok := p["summary"].(string)
	switch {
	case !ok || sum == "":
		errs = append(errs, "'payload.summary' is required")
	case len([]rune(sum)) > MaxSummaryLen:
		errs = append(errs, fmt.Sprintf("'payload.summary' is longer than %d characters", MaxSummaryLen))
	}
	if src, ok := p["source"].(string); !ok || src == "" {
		errs = append(errs, "'payload.source' is required")
	}
	switch p["severity"] {
	case "critical", "error", "warning", "info":
	default:
		errs = append(errs, "'payload.severity' must be one of critical, error, warning, info")
	}
	if ts, ok := p["timestamp"]; ok {
		s, isStr := ts.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); !isStr || err != nil {
			errs = append(errs, "'payload.timestamp' must be an ISO 8601 (RFC 3339) time")
		}
	}
	for _, f := range []string{"component", "group", "class"} {
		if v, ok := p[f]; ok {
			if _, isStr := v.(string); !isStr {
				errs = append(errs, fmt.Sprintf("'payload.%s' must be a string", f))
			}
		}
	}
	if v, ok := p["custom_details"]; ok && v == nil {
		errs = append(errs, "'payload.custom_details' must not be null")
	}
	return errs
}

// checkObjects checks an array of objects with a required string field and
// optional string fields (links, images).
func checkObjects(raw json.RawMessage, name, required string, fields []string, out *[]any) []string {
	var arr []map[string]any
	if err := json.Unmarshal(raw, &arr); err != nil {
		return []string{fmt.Sprintf("'%s' must be an array of objects", name)}
	}
	var errs []string
	for i, o := range arr {
		*out = append(*out, o)
		if v, ok := o[required].(string); !ok || v == "" {
			errs = append(errs, fmt.Sprintf("'%s[%d].%s' is required", name, i, required))
		}
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !contains(fields, k) {
				errs = append(errs, fmt.Sprintf("'%s[%d].%s' is not a known field", name, i, k))
			} else if _, ok := o[k].(string); !ok {
				errs = append(errs, fmt.Sprintf("'%s[%d].%s' must be a string", name, i, k))
			}
		}
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
