package pdserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, s *Server, contentType, body string) (int, response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v2/enqueue", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, r
}

func event(mod func(map[string]any)) string {
	e := map[string]any{
		"routing_key":  TestRoutingKey,
		"event_action": "trigger",
		"dedup_key":    "pool-exhaustion/abc",
		"payload": map[string]any{
			"summary": "pool exhausted", "source": "firebreak", "severity": "critical",
			"timestamp": "2026-11-23T12:00:00Z", "custom_details": map[string]any{"waiting": 42},
		},
		"links": []any{map[string]any{"href": "http://127.0.0.1:8233/x", "text": "Timeline"}},
	}
	if mod != nil {
		mod(e)
	}
	b, _ := json.Marshal(e)
	return string(b)
}

func payload(e map[string]any) map[string]any { return e["payload"].(map[string]any) }

func TestContract(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantErr     string
	}{
		{name: "valid trigger", body: event(nil), wantStatus: 202},
		{name: "valid resolve", body: event(func(e map[string]any) { e["event_action"] = "resolve"; delete(e, "payload") }), wantStatus: 202},
		{name: "trigger without dedup key", body: event(func(e map[string]any) { delete(e, "dedup_key") }), wantStatus: 202},
		{name: "wrong content type", contentType: "text/plain", body: event(nil), wantStatus: 400, wantErr: "Content-Type"},
		{name: "not json", body: "{", wantStatus: 400, wantErr: "JSON object"},
		{name: "short routing key", body: event(func(e map[string]any) { e["routing_key"] = "abc" }), wantStatus: 400, wantErr: "routing_key"},
		{name: "missing routing key", body: event(func(e map[string]any) { delete(e, "routing_key") }), wantStatus: 400, wantErr: "routing_key"},
		{name: "unknown action", body: event(func(e map[string]any) { e["event_action"] = "escalate" }), wantStatus: 400, wantErr: "event_action"},
		{name: "resolve without key", body: event(func(e map[string]any) { e["event_action"] = "resolve"; delete(e, "dedup_key") }), wantStatus: 400, wantErr: "'dedup_key' is required"},
		{name: "acknowledge with empty key", body: event(func(e map[string]any) { e["event_action"] = "acknowledge"; e["dedup_key"] = "" }), wantStatus: 400, wantErr: "'dedup_key' is required"},
		{name: "long dedup key", body: event(func(e map[string]any) { e["dedup_key"] = strings.Repeat("k", 256) }), wantStatus: 400, wantErr: "dedup_key"},
		{name: "trigger without payload", body: event(func(e map[string]any) { delete(e, "payload") }), wantStatus: 400, wantErr: "'payload' is required"},
		{name: "empty summary", body: event(func(e map[string]any) { payload(e)["summary"] = "" }), wantStatus: 400, wantErr: "payload.summary"},
		{name: "long summary", body: event(func(e map[string]any) { payload(e)["summary"] = strings.Repeat("s", 1025) }), wantStatus: 400, wantErr: "payload.summary"},
		{name: "1024-character summary", body: event(func(e map[string]any) { payload(e)["summary"] = strings.Repeat("é", 1024) }), wantStatus: 202},
		{name: "no source", body: event(func(e map[string]any) { delete(payload(e), "source") }), wantStatus: 400, wantErr: "payload.source"},
		{name: "bad severity", body: event(func(e map[string]any) { payload(e)["severity"] = "page" }), wantStatus: 400, wantErr: "payload.severity"},
		{name: "bad timestamp", body: event(func(e map[string]any) { payload(e)["timestamp"] = "yesterday" }), wantStatus: 400, wantErr: "payload.timestamp"},
		{name: "link without href", body: event(func(e map[string]any) { e["links"] = []any{map[string]any{"text": "x"}} }), wantStatus: 400, wantErr: "links[0].href"},
		{name: "links not an array", body: event(func(e map[string]any) { e["links"] = "x" }), wantStatus: 400, wantErr: "links"},
		{name: "image without src", body: event(func(e map[string]any) { e["images"] = []any{map[string]any{"alt": "x"}} }), wantStatus: 400, wantErr: "images[0].src"},
		{name: "too large", body: event(func(e map[string]any) {
			payload(e)["custom_details"] = map[string]any{"x": strings.Repeat("x", MaxBodyBytes)}
		}), wantStatus: 400, wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t)
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			status, r := post(t, s, ct, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status %d (%+v), want %d", status, r, tt.wantStatus)
			}
			if tt.wantStatus == 202 {
				if r.Status != "success" || r.Message != "Event processed" || r.DedupKey == "" {
					t.Errorf("answer %+v", r)
				}
				return
			}
			if r.Status != "invalid event" || !strings.Contains(strings.Join(r.Errors, "; "), tt.wantErr) {
				t.Errorf("answer %+v, want an error about %q", r, tt.wantErr)
			}
			if evs := s.Events(); len(evs) != 1 || evs[0].Status != 400 || len(s.Incidents()) != 0 {
				t.Errorf("events %+v, incidents %+v", evs, s.Incidents())
			}
		})
	}
}

func TestDedup(t *testing.T) {
	s := Start(t)
	send := func(mod func(map[string]any)) {
		t.Helper()
		if status, r := post(t, s, "application/json", event(mod)); status != 202 {
			t.Fatalf("status %d: %+v", status, r)
		}
	}
	resolve := func(e map[string]any) { e["event_action"] = "resolve"; delete(e, "payload") }
	send(nil)
	send(func(e map[string]any) { payload(e)["severity"] = "warning" })
	if in := s.Incidents(); len(in) != 1 || in[0].Triggers != 2 || in[0].Severity != "warning" || in[0].Status != StatusTriggered {
		t.Fatalf("after two triggers: %+v", in)
	}
	send(func(e map[string]any) { e["event_action"] = "acknowledge"; delete(e, "payload") })
	if in, _ := s.Incident("pool-exhaustion/abc"); in.Status != StatusAcknowledged {
		t.Fatalf("after acknowledge: %+v", in)
	}
	send(resolve)
	if in, ok := s.Incident("pool-exhaustion/abc"); !ok || in.Status != StatusResolved {
		t.Fatalf("after resolve: %+v", in)
	}
	send(resolve)
	send(func(e map[string]any) { e["dedup_key"] = "never-triggered"; resolve(e) })
	send(nil)
	in := s.Incidents()
	if len(in) != 2 || in[0].Status != StatusResolved || in[1].Status != StatusTriggered || in[1].Triggers != 1 {
		t.Fatalf("a trigger after resolve opens a new incident: %+v", in)
	}
	if _, ok := s.Incident("never-triggered"); ok {
		t.Error("resolve of an unknown key opened an incident")
	}
	if n := len(s.Events()); n != 7 {
		t.Errorf("%d events recorded, want 7", n)
	}
}

func TestFaults(t *testing.T) {
	s := Start(t)
	s.FailNext(2, http.StatusTooManyRequests)
	for i, want := range []int{429, 429, 202} {
		if status, r := post(t, s, "application/json", event(nil)); status != want {
			t.Fatalf("request %d: status %d (%+v), want %d", i, status, r, want)
		}
	}
	if evs := s.Events(); len(evs) != 3 || evs[0].DedupKey != "pool-exhaustion/abc" || evs[0].Action != "trigger" {
		t.Errorf("failed requests not recorded: %+v", evs)
	}

	s.SetDelay(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/v2/enqueue", bytes.NewBufferString(event(nil)))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("a delayed answer arrived before the client's deadline")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("client waited %s", d)
	}
	s.SetDelay(0)

	s.Close()
	s.Close()
	if _, err := http.Post(s.URL+"/v2/enqueue", "application/json", strings.NewReader(event(nil))); err == nil {
		t.Error("closed server answered")
	}
}
