// Package prometheus is firebreak's Prometheus HTTP API client. It wraps
// client_golang's API client and returns plain, deterministically ordered
// result types, so activities can record results in workflow history without
// depending on Prometheus's model package.
package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// ErrBadQuery is wrapped by Instant and Range when Prometheus rejected the
// query itself (a PromQL syntax or type error: HTTP 400, "bad_data"), so
// callers can stop retrying a query that can never succeed.
var ErrBadQuery = errors.New("bad query")

// Client queries one Prometheus server.
type Client struct {
	api     promv1.API
	timeout time.Duration
}

// Result is what a query returned: its series sorted by label string, and
// any warnings Prometheus attached (partial data, for instance).
type Result struct {
	Series   []Series // sorted by their label string, so results compare and record deterministically
	Warnings []string // Prometheus's warnings, in the order it sent them
}

// Series is one labelled time series of a result.
type Series struct {
	Labels map[string]string // the series' labels, including __name__ when present
	Value  float64           // the instant value, or the last sample of a range
	Points []Point           // the samples of a range query; nil for an instant query
}

// Point is one sample of a range query.
type Point struct {
	Time  time.Time // the sample's timestamp
	Value float64   // the sample's value
}

// New returns a client for the Prometheus at rawURL (http or https) whose
// queries each give up after timeout (0: no client-side limit). The timeout
// is also sent to Prometheus so it stops evaluating an abandoned query.
func New(rawURL string, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("prometheus client: parse url: %w", errors.Unwrap(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus client: url %s: want http(s)://host[:port]", u.Redacted())
	}
	if timeout < 0 {
		return nil, fmt.Errorf("prometheus client: negative timeout %s", timeout)
	}
	c, err := api.NewClient(api.Config{Address: rawURL})
	if err != nil {
		return nil, fmt.Errorf("prometheus client %s: %w", u.Redacted(), err)
	}
	return &Client{api: promv1.NewAPI(c), timeout: timeout}, nil
}

// Instant evaluates query at time at (the zero time: now, as Prometheus
// sees it).
func (c *Client) Instant(ctx context.Context, query string, at time.Time) (Result, error) {
	ctx, cancel, opts := c.limit(ctx)
	defer cancel()
	v, warnings, _, err := c.api.Query(ctx, query, at, opts...)
	if err != nil {
		return Result{}, queryError(query, err)
	}
	return convert(query, v, warnings)
}

// Range evaluates query over [start, end] every step.
func (c *Client) Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (Result, error) {
	if step <= 0 {
		return Result{}, fmt.Errorf("prometheus range query %q: step %s must be positive", query, step)
	}
	if end.Before(start) {
		return Result{}, fmt.Errorf("prometheus range query %q: end before start", query)
	}
	ctx, cancel, opts := c.limit(ctx)
	defer cancel()
	v, warnings, _, err := c.api.QueryRange(ctx, query, promv1.Range{Start: start, End: end, Step: step}, opts...)
	if err != nil {
		return Result{}, queryError(query, err)
	}
	return convert(query, v, warnings)
}

// limit applies the client's timeout to ctx and to Prometheus's own
// evaluation.
func (c *Client) limit(ctx context.Context) (context.Context, context.CancelFunc, []promv1.Option) {
	if c.timeout <= 0 {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	return ctx, cancel, []promv1.Option{promv1.WithTimeout(c.timeout)}
}

// queryError names the query and marks rejections of the query itself with
// ErrBadQuery.
func queryError(query string, err error) error {
	var apiErr *promv1.Error
	if errors.As(err, &apiErr) && apiErr.Type == promv1.ErrBadData {
		return fmt.Errorf("prometheus query %q: %w: %w", query, ErrBadQuery, err)
	}
	return fmt.Errorf("prometheus query %q: %w", query, err)
}

// convert turns Prometheus's model values into a Result.
func convert(query string, v model.Value, warnings promv1.Warnings) (Result, error) {
	res := Result{Warnings: append([]string(nil), warnings...)}
	switch v := v.(type) {
	case model.Vector:
		for _, s := range v {
			res.Series = append(res.Series, Series{Labels: labels(s.Metric), Value: float64(s.Value)})
		}
	case model.Matrix:
		for _, s := range v {
			ser := Series{Labels: labels(s.Metric), Points: make([]Point, 0, len(s.Values))}
			for _, p := range s.Values {
				ser.Points = append(ser.Points, Point{Time: p.Timestamp.Time().UTC(), Value: float64(p.Value)})
			}
			if n := len(s.Values); n > 0 {
				ser.Value = float64(s.Values[n-1].Value)
			}
			res.Series = append(res.Series, ser)
		}
	case *model.Scalar:
		res.Series = []Series{{Labels: map[string]string{}, Value: float64(v.Value)}}
	case nil:
	default:
		return Result{}, fmt.Errorf("prometheus query %q: unsupported result type %s", query, v.Type())
	}
	sort.SliceStable(res.Series, func(i, j int) bool {
		return LabelString(res.Series[i].Labels) < LabelString(res.Series[j].Labels)
	})
	return res, nil
}

// labels copies a metric's label set into a plain map.
func labels(m model.Metric) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

// LabelString renders labels as {a="x", b="y"} with names sorted; it is the
// key results are sorted by, so equal label sets always order the same way.
// It is model.LabelSet's String, for a plain map.
func LabelString(l map[string]string) string {
	set := make(model.LabelSet, len(l))
	for k, v := range l {
		set[model.LabelName(k)] = model.LabelValue(v)
	}
	return set.String()
}
