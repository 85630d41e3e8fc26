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
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/workflows"
)

// fuzzOperators: two operators with their own tokens, and two sharing
// one, which must authenticate neither.
var fuzzOperators = []bearer.Operator{
	{Name: "alice", Token: "alice-operator-token-0123"},
	{Name: "bob", Token: "bob-operator-token-4567"},
	{Name: "carol", Token: "shared-operator-token-89"},
	{Name: "dave", Token: "shared-operator-token-89"},
}

// fuzzBackend is the Decider and Switch of the fuzz: it records every call
// (what would have reached Temporal) and answers with err.
type fuzzBackend struct {
	mu    sync.Mutex
	calls []fuzzCall
	err   error
}

type fuzzCall struct {
	method     string
	incidentID string
	decision   workflows.DecisionRequest
	ack        workflows.AckRequest
	by, reason string
}

func (b *fuzzBackend) record(c fuzzCall) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, c)
	return b.err
}

func (b *fuzzBackend) Decide(_ context.Context, id string, d workflows.DecisionRequest) (incident.ApprovalRecord, error) {
	return incident.ApprovalRecord{ID: d.ApprovalID}, b.record(fuzzCall{method: "decide", incidentID: id, decision: d})
}

func (b *fuzzBackend) Acknowledge(_ context.Context, id string, a workflows.AckRequest) (incident.Acknowledgement, error) {
	return incident.Acknowledgement{By: a.By}, b.record(fuzzCall{method: "ack", incidentID: id, ack: a})
}

func (b *fuzzBackend) Pause(_ context.Context, by, reason string) (workflows.ControlState, error) {
	return workflows.ControlState{}, b.record(fuzzCall{method: "pause", by: by, reason: reason})
}

func (b *fuzzBackend) Resume(_ context.Context, by string) (workflows.ControlState, error) {
	return workflows.ControlState{}, b.record(fuzzCall{method: "resume", by: by})
}

func (b *fuzzBackend) Status(context.Context) (workflows.ControlState, error) {
	return workflows.ControlState{}, b.record(fuzzCall{method: "status"})
}

// fuzzRefusal is a domain refusal (what approvals and guard return).
type fuzzRefusal struct{}

func (fuzzRefusal) Error() string         { return "refused by the fuzz" }
func (fuzzRefusal) RefusalMetric() string { return "fuzz_refused" }

// fuzzRoutes is what each path takes and which backend call serves it.
var fuzzRoutes = map[string]struct{ method, call string }{
	PathDecisions:  {http.MethodPost, "decide"},
	PathAcks:       {http.MethodPost, "ack"},
	PathPause:      {http.MethodPost, "pause"},
	PathResume:     {http.MethodPost, "resume"},
	PathGuardrails: {http.MethodGet, "status"},
}

// authenticated names the one operator whose token authz carries,
// independently of internal/bearer: "Bearer " in any case, then the token
// without surrounding spaces; a token two operators share names nobody.
func authenticated(authz string) (string, bool) {
	if len(authz) <= len("Bearer ") || !strings.EqualFold(authz[:len("Bearer ")], "Bearer ") {
		return "", false
	}
	tok := strings.TrimSpace(authz[len("Bearer "):])
	var names []string
	for _, op := range fuzzOperators {
		if tok != "" && op.Token == tok {
			names = append(names, op.Name)
		}
	}
	if len(names) != 1 {
		return "", false
	}
	return names[0], true
}

// FuzzAPI serves arbitrary requests (path, method, Authorization, body,
// optionally padded past the limit or declaring a length over it) with a
// backend answering with success, a refusal or a failure. Properties: no
// panic; the status is the one docs/operator-api.md gives for the request,
// checked in its order (path 404, method 405, no operators 403, token 401,
// body 413, malformed 400, refused 409, failed 503, else 200); a refused
// request, and in particular an unauthenticated one or one whose body is
// over the limit, never reaches the Decider or the Switch; an accepted one
// reaches exactly the endpoint's call, as the authenticated operator, with
// a body that obeys the documented limits; every answer is JSON, with an
// error message unless it is 200.
func FuzzAPI(f *testing.F) {
	alice := "Bearer " + fuzzOperators[0].Token
	for _, c := range []struct {
		path, method, authz, body string
	}{
		{PathDecisions, "POST", alice, `{"incident_id":"pool-exhaustion/3f2a9c1e","decision":"approve"}`},
		{PathDecisions, "POST", alice, `{"incident_id":"x","decision":"deny","approval_id":"grow-1"}`},
		{PathDecisions, "POST", alice, `{"incident_id":"x","decision":"maybe"}`},
		{PathAcks, "POST", "bearer  " + fuzzOperators[1].Token + " ", `{"incident_id":"x"}`},
		{PathAcks, "POST", alice, `{"incident_id":"x","extra":1}`},
		{PathPause, "POST", alice, `{"reason":"deploy freeze"}`},
		{PathPause, "POST", alice, ``},
		{PathPause, "POST", alice, `{"reason":"\xff"}`},
		{PathResume, "POST", alice, `{}`},
		{PathResume, "POST", alice, `{} {}`},
		{PathGuardrails, "GET", alice, ``},
		{PathGuardrails, "HEAD", alice, ``},
		{PathGuardrails, "POST", alice, ``},
		{PathPause, "POST", "Bearer shared-operator-token-89", `{}`},
		{PathPause, "POST", "", `{}`},
		{"/api/v1/nope", "GET", alice, ``},
	} {
		f.Add(c.path, c.method, c.authz, []byte(c.body), uint8(0))
	}
	f.Add(PathPause, "POST", alice, []byte(`{"reason":"x"}`), uint8(1<<2))
	f.Add(PathDecisions, "POST", alice, []byte(`{"incident_id":"x","decision":"approve"}`), uint8(1<<3))
	f.Add(PathAcks, "POST", alice, []byte(`{"incident_id":"x"}`), uint8(1))
	f.Add(PathAcks, "POST", alice, []byte(`{"incident_id":"x"}`), uint8(2))
	f.Add(PathGuardrails, "GET", alice, []byte(``), uint8(1<<4))
	f.Add(PathResume, "POST", alice, []byte(`{}`), uint8(1<<2|1<<5))
	f.Add(PathResume, "POST", alice, []byte(`{} {}`), uint8(1<<2|1<<5))
	m := metrics.New()
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, path, method, authz string, body []byte, flags uint8) {
		// flags: bits 0-1 the backend's answer (ok, refusal, failure),
		// bit 2 pad the body past the limit, bit 3 declare a length over
		// it, bit 4 configure no operators, bit 5 declare no length
		// (chunked).
		b := &fuzzBackend{}
		switch flags & 3 {
		case 1:
			b.err = fmt.Errorf("decide: %w", fuzzRefusal{})
		case 2:
			b.err = errors.New("temporal unavailable")
		}
		ops := fuzzOperators
		if flags&(1<<4) != 0 {
			ops = nil
		}
		if flags&(1<<2) != 0 {
			body = append(body, bytes.Repeat([]byte(" "), MaxBodyBytes+1)...)
		}
		api := New(Options{Operators: ops, Decider: b, Switch: b, Log: log, Metrics: m})
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Method, r.URL.Path = method, path
		switch {
		case flags&(1<<3) != 0:
			r.ContentLength = MaxBodyBytes + 1
		case flags&(1<<5) != 0:
			r.ContentLength = -1 // chunked: the limit is found by reading
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		res := w.Result()
		raw, _ := io.ReadAll(res.Body)

		route, known := fuzzRoutes[path]
		name, authOK := authenticated(authz)
		post := route.method == http.MethodPost
		tooBig := post && (len(body) > MaxBodyBytes || flags&(1<<3) != 0)
		var want int
		switch {
		case !known:
			want = http.StatusNotFound
		case method != route.method && !(route.method == http.MethodGet && method == http.MethodHead):
			want = http.StatusMethodNotAllowed
		case ops == nil:
			want = http.StatusForbidden
		case !authOK:
			want = http.StatusUnauthorized
		case tooBig:
			want = http.StatusRequestEntityTooLarge
		}
		if want != 0 {
			if res.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d", method, path, res.StatusCode, want)
			}
			if len(b.calls) != 0 {
				t.Fatalf("%s %s answered %d but reached the backend: %+v", method, path, want, b.calls)
			}
		}
		checkAnswer(t, res, raw)
		if want != 0 {
			return
		}
		switch len(b.calls) {
		case 0:
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("%s %s: status %d without reaching the backend", method, path, res.StatusCode)
			}
			return
		case 1:
		default:
			t.Fatalf("one request, %d backend calls", len(b.calls))
		}
		c := b.calls[0]
		if c.method != route.call {
			t.Fatalf("%s reached %s", path, c.method)
		}
		wantStatus := map[uint8]int{0: http.StatusOK, 1: http.StatusConflict, 2: http.StatusServiceUnavailable, 3: http.StatusOK}[flags&3]
		if res.StatusCode != wantStatus {
			t.Fatalf("%s %s: backend answered %v, status %d, want %d", method, path, b.err, res.StatusCode, wantStatus)
		}
		checkCall(t, c, name)
	})
}

// checkAnswer: every answer is JSON; a refusal or failure carries its
// message, a 401 its challenge, a 405 its Allow header.
func checkAnswer(t *testing.T, res *http.Response, raw []byte) {
	t.Helper()
	allowed := []int{200, 400, 401, 403, 404, 405, 409, 413, 503}
	if !slices.Contains(allowed, res.StatusCode) {
		t.Fatalf("undocumented status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d with Content-Type %q", res.StatusCode, ct)
	}
	if !json.Valid(raw) {
		t.Fatalf("status %d with a body that is not JSON: %q", res.StatusCode, raw)
	}
	if res.StatusCode != http.StatusOK {
		var e ErrorBody
		if err := json.Unmarshal(raw, &e); err != nil || e.Error == "" {
			t.Fatalf("status %d without an ErrorBody: %q", res.StatusCode, raw)
		}
	}
	if res.StatusCode == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	if res.StatusCode == http.StatusMethodNotAllowed && res.Header.Get("Allow") == "" {
		t.Fatal("405 without Allow")
	}
}

// checkCall holds what reached the backend to the documented limits.
func checkCall(t *testing.T, c fuzzCall, operator string) {
	t.Helper()
	switch c.method {
	case "decide":
		if c.incidentID == "" || len(c.incidentID) > MaxIncidentIDBytes {
			t.Fatalf("decision for incident ID of %d bytes", len(c.incidentID))
		}
		d := c.decision
		if (d.Decision != "approve" && d.Decision != "deny") || d.Via != workflows.ViaAPI || d.Operator != operator {
			t.Fatalf("decision %+v, want approve or deny by %s via the API", d, operator)
		}
	case "ack":
		if c.incidentID == "" || len(c.incidentID) > MaxIncidentIDBytes {
			t.Fatalf("acknowledgement for incident ID of %d bytes", len(c.incidentID))
		}
		if c.ack.By != By(operator) || c.ack.Via != workflows.ViaAPI {
			t.Fatalf("acknowledgement %+v, want by %s via the API", c.ack, By(operator))
		}
	case "pause":
		if len(c.reason) > MaxReasonBytes || !utf8.ValidString(c.reason) || c.by != By(operator) {
			t.Fatalf("pause by %q with a %d-byte reason", c.by, len(c.reason))
		}
	case "resume":
		if c.by != By(operator) {
			t.Fatalf("resume by %q, want %s", c.by, By(operator))
		}
	}
}
