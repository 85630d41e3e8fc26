package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// fakeAPI answers /api/v1/query and /api/v1/query_range with a canned body
// and status, to test conversion without a server.
func fakeAPI(t *testing.T, status int, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConvert(t *testing.T) {
	t0 := time.Unix(1700000000, 0).UTC()
	tests := []struct {
		name    string
		status  int
		body    string
		rng     bool
		want    Result
		wantErr error
		errText string
	}{
		{
			name:   "vector sorted by labels",
			status: 200,
			body:   `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"b"},"value":[1700000000,"1"]},{"metric":{"__name__":"up","job":"a"},"value":[1700000000,"0"]}]}}`,
			want: Result{Series: []Series{
				{Labels: map[string]string{"__name__": "up", "job": "a"}, Value: 0},
				{Labels: map[string]string{"__name__": "up", "job": "b"}, Value: 1},
			}},
		},
		{
			name:   "scalar has no labels",
			status: 200,
			body:   `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}`,
			want:   Result{Series: []Series{{Labels: map[string]string{}, Value: 42}}},
		},
		{
			name:   "empty vector",
			status: 200,
			body:   `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			want:   Result{},
		},
		{
			name:   "warnings kept",
			status: 200,
			body:   `{"status":"success","warnings":["partial data"],"data":{"resultType":"vector","result":[]}}`,
			want:   Result{Warnings: []string{"partial data"}},
		},
		{
			name:   "matrix value is last point",
			status: 200,
			rng:    true,
			body:   `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"x"},"values":[[1700000000,"1"],[1700000001,"5"]]}]}}`,
			want: Result{Series: []Series{{
				Labels: map[string]string{"job": "x"},
				Value:  5,
				Points: []Point{{Time: t0, Value: 1}, {Time: t0.Add(time.Second), Value: 5}},
			}}},
		},
		{
			name:    "bad data is a bad query",
			status:  400,
			body:    `{"status":"error","errorType":"bad_data","error":"parse error: unexpected end of input"}`,
			wantErr: ErrBadQuery,
			errText: `prometheus query "q": bad query: bad_data: parse error`,
		},
		{
			name:    "server error is not a bad query",
			status:  503,
			body:    `unavailable`,
			errText: `prometheus query "q": server_error`,
		},
		{
			name:    "string result refused",
			status:  200,
			body:    `{"status":"success","data":{"resultType":"string","result":[1700000000,"hi"]}}`,
			errText: `prometheus query "q": bad_response`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeAPI(t, tt.status, tt.body)
			var got Result
			var err error
			if tt.rng {
				got, err = c.Range(context.Background(), "q", t0, t0.Add(time.Second), time.Second)
			} else {
				got, err = c.Instant(context.Background(), "q", t0)
			}
			if tt.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.errText)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want errors.Is %v", err, tt.wantErr)
				}
				if tt.wantErr == nil && errors.Is(err, ErrBadQuery) {
					t.Fatalf("error = %v must not be a bad query", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name, url string
		timeout   time.Duration
	}{
		{"no scheme", "localhost:9090", time.Second},
		{"ftp", "ftp://x", time.Second},
		{"negative timeout", "http://x", -time.Second},
		{"unparsable", "http://a b:pw@x:port", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.url, tt.timeout)
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), "pw") {
				t.Fatalf("error %q leaks the password", err)
			}
		})
	}
}

// TestLabelString pins the rendering: it appears in diagnosis warnings and
// orders recorded series. The expectations are what the hand-written
// renderer produced before LabelString became model.LabelSet's String.
func TestLabelString(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		want   string
	}{
		{"nil", nil, `{}`},
		{"empty", map[string]string{}, `{}`},
		{"quote", map[string]string{"b": `x"y`, "a": "1"}, `{a="1", b="x\"y"}`},
		{"metric", map[string]string{"__name__": "up", "job": "checkout", "instance": "10.0.0.7:9090"},
			`{__name__="up", instance="10.0.0.7:9090", job="checkout"}`},
		{"names sorted, not pairs", map[string]string{"a": "1", "a0": "2", "a_b": "3", "A": "4"},
			`{A="4", a="1", a0="2", a_b="3"}`},
		{"unicode and escapes", map[string]string{"team": "платёжи", "emoji": "🔥", "nl": "a\nb\tc\\", "bad": "\xff"},
			`{bad="\xff", emoji="🔥", nl="a\nb\tc\\", team="платёжи"}`},
		{"empty value", map[string]string{"empty": ""}, `{empty=""}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LabelString(tc.labels); got != tc.want {
				t.Errorf("LabelString(%q) = %s, want %s", tc.labels, got, tc.want)
			}
		})
	}
}

func TestRangeArguments(t *testing.T) {
	c := fakeAPI(t, 200, `{}`)
	now := time.Now()
	if _, err := c.Range(context.Background(), "q", now, now, 0); err == nil {
		t.Fatal("zero step accepted")
	}
	if _, err := c.Range(context.Background(), "q", now, now.Add(-time.Second), time.Second); err == nil {
		t.Fatal("end before start accepted")
	}
}

func TestAgainstPrometheus(t *testing.T) {
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "# TYPE fb_queue_depth gauge\nfb_queue_depth{queue=\"b\"} 7\nfb_queue_depth{queue=\"a\"} 3\n")
	}))
	defer exporter.Close()
	prom := testutil.StartPrometheus(t, testutil.PrometheusOptions{
		ScrapeTargets: []string{strings.TrimPrefix(exporter.URL, "http://")},
	})
	c, err := New(prom.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	testutil.PollUntil(t, 15*time.Second, "two scraped samples", func() (bool, error) {
		r, err := c.Instant(ctx, "fb_queue_depth", time.Time{})
		return err == nil && len(r.Series) == 2, err
	})

	tests := []struct {
		name       string
		query      string
		rng        bool
		wantValues []float64
		wantBad    bool
	}{
		{name: "instant vector sorted", query: "fb_queue_depth", wantValues: []float64{3, 7}},
		{name: "scalar", query: "scalar(sum(fb_queue_depth))", wantValues: []float64{10}},
		{name: "no series", query: "fb_queue_depth{queue=\"none\"}", wantValues: nil},
		{name: "NaN passes through", query: "0/0", wantValues: []float64{math.NaN()}},
		{name: "range", query: "fb_queue_depth", rng: true, wantValues: []float64{3, 7}},
		{name: "syntax error", query: "sum(", wantBad: true},
		{name: "range syntax error", query: "rate(fb_queue_depth)", rng: true, wantBad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Result
			var err error
			if tt.rng {
				end := time.Now()
				r, err = c.Range(ctx, tt.query, end.Add(-5*time.Second), end, time.Second)
			} else {
				r, err = c.Instant(ctx, tt.query, time.Time{})
			}
			if tt.wantBad {
				if !errors.Is(err, ErrBadQuery) || !strings.Contains(err.Error(), tt.query) {
					t.Fatalf("error = %v, want a bad query naming %q", err, tt.query)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Series) != len(tt.wantValues) {
				t.Fatalf("%d series, want %d: %+v", len(r.Series), len(tt.wantValues), r.Series)
			}
			for i, want := range tt.wantValues {
				got := r.Series[i].Value
				if got != want && !(math.IsNaN(want) && math.IsNaN(got)) {
					t.Errorf("series %d value = %v, want %v", i, got, want)
				}
				if tt.rng && len(r.Series[i].Points) == 0 {
					t.Errorf("series %d has no points", i)
				}
			}
		})
	}

	t.Run("connection refused is not a bad query", func(t *testing.T) {
		dead, err := New(fmt.Sprintf("http://127.0.0.1:%d", testutil.FreePort(t)), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, err = dead.Instant(ctx, "up", time.Time{})
		if err == nil || errors.Is(err, ErrBadQuery) {
			t.Fatalf("error = %v, want a connection error", err)
		}
	})
}
