package diagnose

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/firebreak-dev/firebreak/integrations/prometheus"
	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// The engine wires the Prometheus client into Activities.Prom.
var _ PromQuerier = (*prometheus.Client)(nil)

// fakeProm returns a canned result or error and records the call it got.
type fakeProm struct {
	res       prometheus.Result
	err       error
	gotRange  bool
	gotStep   time.Duration
	gotWindow time.Duration
}

func (f *fakeProm) Instant(ctx context.Context, query string, at time.Time) (prometheus.Result, error) {
	return f.res, f.err
}

func (f *fakeProm) Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (prometheus.Result, error) {
	f.gotRange, f.gotStep, f.gotWindow = true, step, end.Sub(start)
	return f.res, f.err
}

// runPromQuery executes the activity in Temporal's activity test
// environment, so results and errors pass through the real data and
// failure converters.
func runPromQuery(t *testing.T, a *Activities, in QueryInput) (QueryResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.PromQuery, in)
	if err != nil {
		return QueryResult{}, err
	}
	var out QueryResult
	if err := val.Get(&out); err != nil {
		t.Fatalf("decode result: %v", err)
	}
	return out, nil
}

func TestPromQueryErrors(t *testing.T) {
	badQuery := fmt.Errorf("prometheus query %q: %w: bad_data: parse error", "sum(", prometheus.ErrBadQuery)
	tests := []struct {
		name          string
		prom          PromQuerier
		in            QueryInput
		wantType      string // "" means a plain, retryable error
		wantRetryable bool
	}{
		{name: "not configured", prom: nil, in: QueryInput{Query: "up"}, wantType: ErrTypeNotConfigured},
		{name: "empty query", prom: &fakeProm{}, in: QueryInput{Query: ""}, wantType: ErrTypeBadQuery},
		{name: "syntax error", prom: &fakeProm{err: badQuery}, in: QueryInput{Query: "sum("}, wantType: ErrTypeBadQuery},
		{name: "negative range", prom: &fakeProm{}, in: QueryInput{Query: "up", Range: -time.Minute}, wantType: ErrTypeBadQuery},
		{name: "negative step", prom: &fakeProm{}, in: QueryInput{Query: "up", Range: time.Minute, Step: -time.Second}, wantType: ErrTypeBadQuery},
		{name: "too many points", prom: &fakeProm{}, in: QueryInput{Query: "up", Range: 24 * time.Hour, Step: time.Second}, wantType: ErrTypeBadQuery},
		{name: "connection refused retries", prom: &fakeProm{err: errors.New("dial tcp 127.0.0.1:1: connection refused")}, in: QueryInput{Query: "up"}, wantRetryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runPromQuery(t, &Activities{Prom: tt.prom}, tt.in)
			if err == nil {
				t.Fatal("want an error")
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) {
				t.Fatalf("error %v (%T) is not an application error", err, err)
			}
			if tt.wantRetryable {
				if appErr.NonRetryable() {
					t.Fatalf("error %v is non-retryable, want retryable", err)
				}
				return
			}
			if !appErr.NonRetryable() || appErr.Type() != tt.wantType {
				t.Fatalf("error type %q non-retryable=%v, want %q non-retryable", appErr.Type(), appErr.NonRetryable(), tt.wantType)
			}
		})
	}
}

func TestPromQueryResults(t *testing.T) {
	series := func(v float64, job string) prometheus.Series {
		return prometheus.Series{Labels: map[string]string{"job": job}, Value: v}
	}
	tests := []struct {
		name      string
		res       prometheus.Result
		in        QueryInput
		want      QueryResult
		wantRange bool
		wantStep  time.Duration
	}{
		{
			name: "no series",
			in:   QueryInput{Query: "up"},
			want: QueryResult{Query: "up"},
		},
		{
			name: "first series is the value",
			res:  prometheus.Result{Series: []prometheus.Series{series(3, "a"), series(7, "b")}, Warnings: []string{"partial"}},
			in:   QueryInput{Query: "up"},
			want: QueryResult{Query: "up", Value: 3, Found: true, Warnings: []string{"partial"}, Series: []Series{
				{Labels: map[string]string{"job": "a"}, Value: 3},
				{Labels: map[string]string{"job": "b"}, Value: 7},
			}},
		},
		{
			name: "non-finite values made JSON-safe",
			res:  prometheus.Result{Series: []prometheus.Series{series(math.NaN(), "a"), series(math.Inf(1), "b"), series(math.Inf(-1), "c")}},
			in:   QueryInput{Query: "x"},
			want: QueryResult{Query: "x", Value: 0, Found: true,
				Series: []Series{
					{Labels: map[string]string{"job": "a"}, Value: 0},
					{Labels: map[string]string{"job": "b"}, Value: math.MaxFloat64},
					{Labels: map[string]string{"job": "c"}, Value: -math.MaxFloat64},
				},
				Warnings: []string{
					`series {job="a"}: value NaN reported as 0`,
					`series {job="b"}: value +Inf reported as the largest float64`,
					`series {job="c"}: value -Inf reported as the smallest float64`,
				}},
		},
		{
			name:      "range with default step",
			res:       prometheus.Result{Series: []prometheus.Series{series(1, "a")}},
			in:        QueryInput{Query: "up", Range: 10 * time.Minute},
			want:      QueryResult{Query: "up", Value: 1, Found: true, Series: []Series{{Labels: map[string]string{"job": "a"}, Value: 1}}},
			wantRange: true,
			wantStep:  10 * time.Second,
		},
		{
			name:      "short range steps at least a second",
			in:        QueryInput{Query: "up", Range: 5 * time.Second},
			want:      QueryResult{Query: "up"},
			wantRange: true,
			wantStep:  time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeProm{res: tt.res}
			got, err := runPromQuery(t, &Activities{Prom: fake}, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v\nwant %#v", got, tt.want)
			}
			if fake.gotRange != tt.wantRange || fake.gotStep != tt.wantStep {
				t.Fatalf("range=%v step=%s, want range=%v step=%s", fake.gotRange, fake.gotStep, tt.wantRange, tt.wantStep)
			}
			if tt.wantRange && fake.gotWindow != tt.in.Range {
				t.Fatalf("window %s, want %s", fake.gotWindow, tt.in.Range)
			}
		})
	}
}

func TestPromQueryAgainstPrometheus(t *testing.T) {
	var depth atomic.Int64
	depth.Store(40)
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# TYPE fb_pool_waiting gauge\nfb_pool_waiting{db=\"orders\"} %d\nfb_pool_waiting{db=\"billing\"} 2\n", depth.Load())
	}))
	defer exporter.Close()
	prom := testutil.StartPrometheus(t, testutil.PrometheusOptions{
		ScrapeTargets: []string{strings.TrimPrefix(exporter.URL, "http://")},
	})
	client, err := prometheus.New(prom.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a := &Activities{Prom: client}
	testutil.PollUntil(t, 15*time.Second, "the exporter's samples in prometheus", func() (bool, error) {
		r, err := a.PromQuery(context.Background(), QueryInput{Query: "fb_pool_waiting"})
		return err == nil && len(r.Series) == 2, err
	})

	tests := []struct {
		name      string
		in        QueryInput
		wantFound bool
		wantValue float64
		wantN     int
		wantType  string
	}{
		{name: "instant, sorted by labels", in: QueryInput{Query: "fb_pool_waiting"}, wantFound: true, wantValue: 2, wantN: 2},
		{name: "filtered", in: QueryInput{Query: `fb_pool_waiting{db="orders"} > 30`}, wantFound: true, wantValue: 40, wantN: 1},
		{name: "nothing matches", in: QueryInput{Query: `fb_pool_waiting{db="none"}`}, wantN: 0},
		{name: "range", in: QueryInput{Query: `max(fb_pool_waiting)`, Range: 10 * time.Second, Step: time.Second}, wantFound: true, wantValue: 40, wantN: 1},
		{name: "NaN is JSON-safe", in: QueryInput{Query: "0/0"}, wantFound: true, wantValue: 0, wantN: 1},
		{name: "syntax error", in: QueryInput{Query: "sum(fb_pool_waiting"}, wantType: ErrTypeBadQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runPromQuery(t, a, tt.in)
			if tt.wantType != "" {
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || appErr.Type() != tt.wantType || !appErr.NonRetryable() {
					t.Fatalf("error = %v, want non-retryable %s", err, tt.wantType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Found != tt.wantFound || got.Value != tt.wantValue || len(got.Series) != tt.wantN {
				t.Fatalf("got found=%v value=%v series=%d, want %v %v %d (%+v)", got.Found, got.Value, len(got.Series), tt.wantFound, tt.wantValue, tt.wantN, got)
			}
		})
	}

	t.Run("prometheus down is retryable", func(t *testing.T) {
		dead, err := prometheus.New(fmt.Sprintf("http://127.0.0.1:%d", testutil.FreePort(t)), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, err = runPromQuery(t, &Activities{Prom: dead}, QueryInput{Query: "up"})
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.NonRetryable() {
			t.Fatalf("error = %v, want a retryable error", err)
		}
	})
}
