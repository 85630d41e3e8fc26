// Package diagnose holds the diagnosis activities a runbook's diagnosis
// blocks run: read-only Prometheus queries whose results the workflow
// records and evaluates. Results are plain, JSON-safe structs because they
// are stored in workflow history.
package diagnose

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/integrations/prometheus"
	"github.com/firebreak-dev/firebreak/internal/logging"
)

// Application error types this package returns. They are stable strings:
// workflows and retry policies match on them.
const (
	// ErrTypeNotConfigured: no Prometheus is configured, so retrying
	// cannot help.
	ErrTypeNotConfigured = "prometheus-not-configured"
	// ErrTypeBadQuery: Prometheus rejected the query itself (or the
	// input was invalid), so the same query will always fail.
	ErrTypeBadQuery = "promql-bad-query"
)

// maxRangePoints is Prometheus's limit on points per series in a range
// query; checking it here turns an input mistake into a clear
// non-retryable error.
const maxRangePoints = 11000

// PromQuerier is the part of a Prometheus client diagnosis needs; it is
// defined here, by its consumer, so tests can substitute it.
// *prometheus.Client satisfies it.
type PromQuerier interface {
	Instant(ctx context.Context, query string, at time.Time) (prometheus.Result, error)
	Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (prometheus.Result, error)
}

// Activities are the diagnosis activities; one instance is registered per
// worker and shared by all workflows.
type Activities struct {
	Prom PromQuerier  // the Prometheus to query; nil when none is configured
	Log  *slog.Logger // where query outcomes are logged; nil discards
}

// QueryInput is one diagnosis query.
type QueryInput struct {
	Query string        // PromQL, already rendered with escaped label values
	Range time.Duration // 0: an instant query now; otherwise a range query over the last Range
	Step  time.Duration // range resolution; 0 picks Range/60, at least 1s
}

// Series is one series of a diagnosis result, as runbooks see it.
type Series struct {
	Labels map[string]string // the series' labels
	Value  float64           // its value (the last sample for a range query)
}

// QueryResult is what the workflow records for a diagnosis.
//
// Temporal's JSON payload converter cannot encode NaN or ±Inf, so values are
// made finite: NaN becomes 0 and ±Inf becomes ±math.MaxFloat64 (keeping
// threshold comparisons meaningful); each replacement adds a warning naming
// the series. A series whose value was NaN still counts for Found.
type QueryResult struct {
	Query    string   // the query as run
	Series   []Series // sorted by label string
	Value    float64  // the first series' value; 0 when there is none
	Found    bool     // at least one series was returned
	Warnings []string // Prometheus's warnings plus value replacements
}

// PromQuery runs in.Query against Prometheus. A missing Prometheus or a
// query Prometheus rejects is a non-retryable application error
// (ErrTypeNotConfigured, ErrTypeBadQuery); anything else (connection
// refused, timeouts, 5xx) is a plain error the retry policy retries.
func (a *Activities) PromQuery(ctx context.Context, in QueryInput) (QueryResult, error) {
	if a.Prom == nil {
		return QueryResult{}, temporal.NewNonRetryableApplicationError(
			"prom query: no prometheus is configured", ErrTypeNotConfigured, nil)
	}
	if in.Query == "" {
		return QueryResult{}, temporal.NewNonRetryableApplicationError(
			"prom query: empty query", ErrTypeBadQuery, nil)
	}
	step, err := rangeStep(in)
	if err != nil {
		return QueryResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("prom query %q: %v", in.Query, err), ErrTypeBadQuery, nil)
	}

	var res prometheus.Result
	if in.Range == 0 {
		res, err = a.Prom.Instant(ctx, in.Query, time.Now())
	} else {
		end := time.Now()
		res, err = a.Prom.Range(ctx, in.Query, end.Add(-in.Range), end, step)
	}
	if err != nil {
		if errors.Is(err, prometheus.ErrBadQuery) {
			a.logger().Warn("prometheus rejected query", "query", in.Query, "error", err)
			return QueryResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("prom query: %v", err), ErrTypeBadQuery, err)
		}
		return QueryResult{}, fmt.Errorf("prom query: %w", err)
	}

	out := QueryResult{Query: in.Query, Warnings: append([]string(nil), res.Warnings...)}
	for _, s := range res.Series {
		v, note := finite(s.Value)
		if note != "" {
			out.Warnings = append(out.Warnings, fmt.Sprintf("series %s: %s", prometheus.LabelString(s.Labels), note))
		}
		out.Series = append(out.Series, Series{Labels: s.Labels, Value: v})
	}
	if len(out.Series) > 0 {
		out.Found = true
		out.Value = out.Series[0].Value
	}
	a.logger().Debug("prometheus query", "query", in.Query, "series", len(out.Series), "value", out.Value)
	return out, nil
}

// rangeStep validates the range fields and returns the step to use.
func rangeStep(in QueryInput) (time.Duration, error) {
	switch {
	case in.Range < 0:
		return 0, fmt.Errorf("negative range %s", in.Range)
	case in.Step < 0:
		return 0, fmt.Errorf("negative step %s", in.Step)
	case in.Range == 0:
		return 0, nil
	}
	step := in.Step
	if step == 0 {
		step = max(in.Range/60, time.Second)
	}
	if in.Range/step > maxRangePoints {
		return 0, fmt.Errorf("range %s at step %s exceeds %d points", in.Range, step, maxRangePoints)
	}
	return step, nil
}

// finite replaces values JSON cannot carry and says what it did.
func finite(v float64) (float64, string) {
	switch {
	case math.IsNaN(v):
		return 0, "value NaN reported as 0"
	case math.IsInf(v, 1):
		return math.MaxFloat64, "value +Inf reported as the largest float64"
	case math.IsInf(v, -1):
		return -math.MaxFloat64, "value -Inf reported as the smallest float64"
	}
	return v, ""
}

// logger returns the configured logger or one that discards.
func (a *Activities) logger() *slog.Logger { return logging.OrDiscard(a.Log) }
