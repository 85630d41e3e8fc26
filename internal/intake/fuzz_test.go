package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/firebreak-dev/firebreak/internal/bearer"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/runbooks"
	"github.com/firebreak-dev/firebreak/workflows"
)

// The fuzz targets of intake's two doors: Decode, the only code that reads
// the webhook body, and the whole handler, whose promise is "2xx only after
// every alert was written". Run them with `make fuzz` (scripts/fuzz.sh);
// `go test` runs only their seeds: the f.Add cases and testdata/fuzz/.

// fuzzSeedMessages are webhook bodies every intake target starts from:
// Alertmanager's own (firing and resolved), a group of two, and the edges
// Decode must refuse.
var fuzzSeedMessages = []string{
	`{"receiver":"runbook","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighErrorRate","service":"checkout","severity":"page"},"annotations":{"summary":"errors"},"startsAt":"2026-11-23T10:16:26.906Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://vm:19090/graph","fingerprint":"b67e150a47aea4fb"}],"groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://vm:19093","version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","truncatedAlerts":0}`,
	`{"status":"resolved","alerts":[{"status":"resolved","labels":{"alertname":"HighErrorRate","service":"checkout"},"startsAt":"2026-11-23T10:16:26.906Z","endsAt":"2026-11-23T10:16:31.906Z"}],"version":"4","groupKey":"g"}`,
	`{"alerts":[{"status":"firing","labels":{"alertname":"DemoHighErrorRate","service":"demo"}},{"status":"firing","labels":{"alertname":"ServiceHighErrorRate","namespace":"shop","service":"a\"b}"},"fingerprint":""}],"version":"4"}`,
	`{"alerts":[{"status":"firing","labels":{"alertname":"x"}}],"version":"3"}`,
	`{"alerts":[],"version":"4"}`,
	`{"alerts":[{"status":"pending","labels":{"a":"b"}}],"version":"4"}`,
	`{"alerts":[{"status":"firing","labels":{}}],"version":"4"}`,
	`{"version":"4"}`,
	`null`,
	`[]`,
	`{"alerts":[{"status":"firing","labels":{"alertname":"\ud800"},"startsAt":"9999-12-31T23:59:59.999999999+23:59"}],"version":"4"}`,
}

// FuzzDecode feeds arbitrary bodies to Decode. It must never panic; what it
// refuses is an error and no message; what it accepts is a complete message
// (at least one alert, each firing or resolved, with labels and a
// fingerprint); and an accepted message, encoded again as Alertmanager
// would, decodes to the same alerts.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeedMessages {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, err := Decode(body)
		if err != nil {
			if msg != nil {
				t.Fatalf("Decode returned a message with error %v", err)
			}
			return
		}
		if msg == nil || len(msg.Alerts) == 0 {
			t.Fatalf("Decode accepted %q without alerts", body)
		}
		for i, a := range msg.Alerts {
			if a.Status != "firing" && a.Status != "resolved" {
				t.Fatalf("alert %d: accepted status %q", i, a.Status)
			}
			if len(a.Labels) == 0 {
				t.Fatalf("alert %d: accepted no labels", i)
			}
			if a.Fingerprint == "" {
				t.Fatalf("alert %d: no fingerprint", i)
			}
		}
		again, err := Decode(reencode(t, msg))
		if err != nil {
			t.Fatalf("re-encoded message refused: %v", err)
		}
		if again.GroupKey != msg.GroupKey {
			t.Fatalf("group key %q became %q", msg.GroupKey, again.GroupKey)
		}
		if len(again.Alerts) != len(msg.Alerts) {
			t.Fatalf("%d alerts became %d", len(msg.Alerts), len(again.Alerts))
		}
		for i := range msg.Alerts {
			if d := alertDiff(msg.Alerts[i], again.Alerts[i]); d != "" {
				t.Fatalf("alert %d changed in a round trip: %s", i, d)
			}
		}
	})
}

// reencode writes msg back as the webhook message Alertmanager would send.
func reencode(t *testing.T, msg *Message) []byte {
	t.Helper()
	m := webhook.Message{Data: &template.Data{}, Version: "4", GroupKey: msg.GroupKey}
	for _, a := range msg.Alerts {
		m.Alerts = append(m.Alerts, template.Alert{
			Status: a.Status, Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt, EndsAt: a.EndsAt,
			GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint,
		})
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("encode decoded message: %v", err)
	}
	return b
}

// alertDiff names the first field that differs, or "".
func alertDiff(a, b AlertIn) string {
	switch {
	case a.Status != b.Status:
		return "status"
	case !maps.Equal(a.Labels, b.Labels):
		return "labels"
	case !maps.Equal(a.Annotations, b.Annotations):
		return "annotations"
	case !a.StartsAt.Equal(b.StartsAt):
		return "startsAt"
	case !a.EndsAt.Equal(b.EndsAt):
		return "endsAt"
	case a.GeneratorURL != b.GeneratorURL:
		return "generatorURL"
	case a.Fingerprint != b.Fingerprint:
		return "fingerprint"
	}
	return ""
}

// recordingTemporal is the fuzz harness's Temporal: it records every write
// it confirmed and refuses every write after the first failAt ones with
// errUnavailable (never, when failAt is negative). Resolved alerts for a
// workflow it never started may be answered NotFound, as Temporal does.
type recordingTemporal struct {
	failAt       int
	notFound     bool
	mu           sync.Mutex
	calls        int
	failed       int
	started      map[string]workflows.Input // SignalWithStart, by workflow ID
	startAlerts  map[string][]string        // fingerprints signalled with start, by workflow ID
	signalled    map[string][]string        // fingerprints signalled (resolved), by workflow ID
	notFoundSent map[string][]string        // fingerprints answered NotFound, by workflow ID
}

var errUnavailable = errors.New("fuzz: temporal unavailable")

func newRecordingTemporal(failAt int, notFound bool) *recordingTemporal {
	return &recordingTemporal{
		failAt: failAt, notFound: notFound, started: map[string]workflows.Input{}, startAlerts: map[string][]string{},
		signalled: map[string][]string{}, notFoundSent: map[string][]string{},
	}
}

// admit counts a call and says whether it fails.
func (r *recordingTemporal) admit() bool {
	r.calls++
	if r.failAt >= 0 && r.calls > r.failAt {
		r.failed++
		return false
	}
	return true
}

func (r *recordingTemporal) SignalWithStartWorkflow(_ context.Context, workflowID string, signalName string, signalArg interface{},
	options client.StartWorkflowOptions, _ interface{}, workflowArgs ...interface{}) (client.WorkflowRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.admit() {
		return nil, errUnavailable
	}
	if signalName != workflows.SignalAlert || options.ID != workflowID || len(workflowArgs) != 1 {
		return nil, errors.New("fuzz: malformed SignalWithStart")
	}
	in, ok := workflowArgs[0].(workflows.Input)
	alert, ok2 := signalArg.(incidentAlert)
	if !ok || !ok2 {
		return nil, errors.New("fuzz: unexpected SignalWithStart argument types")
	}
	r.started[workflowID] = in
	r.startAlerts[workflowID] = append(r.startAlerts[workflowID], alert.Fingerprint)
	return nil, nil
}

func (r *recordingTemporal) SignalWorkflow(_ context.Context, workflowID string, _ string, signalName string, arg interface{}) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.admit() {
		return errUnavailable
	}
	alert, ok := arg.(incidentAlert)
	if signalName != workflows.SignalAlert || !ok {
		return errors.New("fuzz: malformed Signal")
	}
	if r.notFound {
		r.notFoundSent[workflowID] = append(r.notFoundSent[workflowID], alert.Fingerprint)
		return serviceerror.NewNotFound("workflow not found")
	}
	r.signalled[workflowID] = append(r.signalled[workflowID], alert.Fingerprint)
	return nil
}

// incidentAlert is the type intake signals with.
type incidentAlert = runbooks.Alert

const fuzzToken = "fuzz-webhook-token-0123"

// fuzzMaxBody is small so that the fuzzer reaches the 413 path.
const fuzzMaxBody = 4096

// fuzzRunbooks is a set that matches the seed messages: one runbook per
// incident key scheme (group_by labels, fingerprint), plus the examples.
func fuzzRunbooks(f *testing.F) *runbooks.Set {
	set := &runbooks.Set{}
	for name, src := range map[string]string{
		"grouped.hcl": `runbook "scale-checkout" {
  match    = ["alertname=\"HighErrorRate\""]
  group_by = ["service", "namespace"]
}`,
		"per-alert.hcl": `runbook "per-alert" {
  match = ["severity=~\"page|critical\""]
}`,
	} {
		rb, diags := runbooks.Parse(name, []byte(src))
		if diags.HasErrors() {
			f.Fatalf("%s: %s", name, diags.Error())
		}
		set.Runbooks = append(set.Runbooks, rb)
	}
	examples, _, diags := runbooks.LoadPaths(exampleRunbookFiles(f)...)
	if diags.HasErrors() {
		f.Fatalf("example runbooks: %s", diags.Error())
	}
	set.Runbooks = append(set.Runbooks, examples.Runbooks...)
	return set
}

// exampleRunbookFiles lists the examples' runbooks.
func exampleRunbookFiles(f *testing.F) []string {
	var paths []string
	err := filepath.WalkDir(filepath.Join("..", "..", "examples"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && runbooks.IsRunbookFile(p) && strings.HasPrefix(filepath.Base(filepath.Dir(p)), "runbooks") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil || len(paths) == 0 {
		f.Fatalf("no example runbooks: %v", err)
	}
	return paths
}

// fuzzMethods are the methods the handler fuzz chooses from; any other
// string is tried too, through the method argument itself.
var fuzzMethods = []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodHead, http.MethodDelete}

// FuzzHandler serves arbitrary requests (body, method, Authorization and
// Content-Type headers) through the whole handler against a Temporal that
// fails after failAt writes (never when failAt is negative). Properties:
// no panic; the status is one the handler documents (200, 400, 401, 405,
// 413, 503) and is the right one for the request; nothing reaches Temporal
// unless the request is an authenticated POST within the body limit; 200
// only when every matched alert was written, to its deterministic incident;
// 503 only when a write failed, and then the same request retried against a
// healthy Temporal answers 200 and writes at least the same incidents.
func FuzzHandler(f *testing.F) {
	set := fuzzRunbooks(f)
	// One registry for every run: building one per request would cost
	// more than the request.
	m := metrics.New()
	auth := "Bearer " + fuzzToken
	for _, s := range fuzzSeedMessages {
		f.Add([]byte(s), "", auth, "application/json", int16(-1), false)
		f.Add([]byte(s), "", auth, "application/json", int16(0), false)
		f.Add([]byte(s), "", auth, "", int16(1), true)
	}
	f.Add([]byte(fuzzSeedMessages[0]), "", "Bearer wrong", "application/json", int16(-1), false)
	f.Add([]byte(fuzzSeedMessages[0]), "", "", "application/json", int16(-1), false)
	f.Add([]byte(fuzzSeedMessages[0]), "GET", auth, "", int16(-1), false)
	f.Add(bytes.Repeat([]byte(" "), fuzzMaxBody+1), "", auth, "application/json", int16(-1), false)
	f.Fuzz(func(t *testing.T, body []byte, method, authz, contentType string, failAt int16, notFound bool) {
		if method == "" {
			method = fuzzMethods[len(body)%len(fuzzMethods)]
		}
		tmp := newRecordingTemporal(int(failAt), notFound)
		h := New(set, Options{
			Temporal: tmp, TaskQueue: "fuzz", Token: fuzzToken, MaxBody: fuzzMaxBody,
			Log: slog.New(slog.DiscardHandler), Metrics: m,
		})
		code, resp := serveFuzz(t, h, method, body, authz, contentType)

		authOK := false
		if d, ok := bearer.FromHeader(authz); ok {
			authOK = d.Equal(bearer.Of(fuzzToken))
		}
		msg, decodeErr := Decode(body)
		var want []int
		switch {
		case method != http.MethodPost:
			want = []int{http.StatusMethodNotAllowed}
		case !authOK:
			want = []int{http.StatusUnauthorized}
		case len(body) > fuzzMaxBody:
			want = []int{http.StatusRequestEntityTooLarge}
		case decodeErr != nil:
			want = []int{http.StatusBadRequest}
		default:
			want = []int{http.StatusOK, http.StatusServiceUnavailable}
		}
		if !slices.Contains(want, code) {
			t.Fatalf("status %d, want one of %v (method %q, auth ok %t, %d bytes, decode error %v)", code, want, method, authOK, len(body), decodeErr)
		}
		if len(want) == 1 {
			if tmp.calls != 0 {
				t.Fatalf("status %d after %d Temporal calls: a refused request must not reach Temporal", code, tmp.calls)
			}
			return
		}
		switch code {
		case http.StatusServiceUnavailable:
			if tmp.failed == 0 {
				t.Fatalf("503 although no write failed")
			}
			retry := newRecordingTemporal(-1, notFound)
			h2 := New(set, Options{Temporal: retry, TaskQueue: "fuzz", Token: fuzzToken, MaxBody: fuzzMaxBody, Log: slog.New(slog.DiscardHandler), Metrics: m})
			if code2, _ := serveFuzz(t, h2, method, body, authz, contentType); code2 != http.StatusOK {
				t.Fatalf("retry against a healthy Temporal answered %d", code2)
			}
			for id := range tmp.started {
				if _, ok := retry.started[id]; !ok {
					t.Fatalf("incident %s written by the failed attempt is not the retry's", id)
				}
			}
		case http.StatusOK:
			if tmp.failed != 0 {
				t.Fatalf("200 although %d writes failed", tmp.failed)
			}
			checkAllWritten(t, set, msg, resp, tmp)
		}
	})
}

// serveFuzz runs one request through h and checks the answer's form.
func serveFuzz(t *testing.T, h http.Handler, method string, body []byte, authz, contentType string) (int, Response) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhook/alertmanager", bytes.NewReader(body))
	r.Method = method
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	raw, _ := io.ReadAll(res.Body)
	var resp Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("status %d with a body that is not a Response: %v: %q", res.StatusCode, err, raw)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d with Content-Type %q", res.StatusCode, ct)
	}
	if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	if res.StatusCode == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	if res.StatusCode != http.StatusOK && resp.Error == "" {
		t.Fatalf("status %d without an error message", res.StatusCode)
	}
	return res.StatusCode, resp
}

// checkAllWritten holds a 200 to its promise: every alert of msg that a
// runbook matches was written to its incident (firing: SignalWithStart with
// the pinned runbook; resolved: a signal), and the answer lists each alert
// with that incident.
func checkAllWritten(t *testing.T, set *runbooks.Set, msg *Message, resp Response, tmp *recordingTemporal) {
	t.Helper()
	if len(resp.Alerts) != len(msg.Alerts) {
		t.Fatalf("200 answering %d of %d alerts", len(resp.Alerts), len(msg.Alerts))
	}
	var wantIDs []string
	for i, a := range msg.Alerts {
		res := resp.Alerts[i]
		rb := set.Match(a.Labels)
		if rb == nil {
			if res.Result != "unmatched" || res.IncidentID != "" {
				t.Fatalf("alert %d matches no runbook but was answered %+v", i, res)
			}
			continue
		}
		id := IncidentID(rb.Name, rb.IncidentKey(a.Labels, a.Fingerprint))
		wantIDs = append(wantIDs, id)
		if res.IncidentID != id || res.Runbook != rb.Name || res.Fingerprint != a.Fingerprint {
			t.Fatalf("alert %d answered %+v, want incident %s of runbook %s", i, res, id, rb.Name)
		}
		var got []string
		switch a.Status {
		case "firing":
			got = tmp.startAlerts[id]
			if in, ok := tmp.started[id]; !ok || in.IncidentID != id || in.Runbook.SHA256 != rb.SHA256 || !bytes.Equal(in.Runbook.Source, rb.Source) {
				t.Fatalf("alert %d: incident %s not started with runbook %s pinned", i, id, rb.Name)
			}
		default:
			got = append(tmp.signalled[id], tmp.notFoundSent[id]...)
		}
		if !slices.Contains(got, a.Fingerprint) {
			t.Fatalf("alert %d (%s, %s) answered 200 but never written to %s", i, a.Status, a.Fingerprint, id)
		}
	}
	if strings.Join(resp.IncidentIDs, "\n") != strings.Join(wantIDs, "\n") {
		t.Fatalf("incident_ids %q, want %q", resp.IncidentIDs, wantIDs)
	}
}
