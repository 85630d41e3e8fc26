package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"
)

// Bounds of the load generator. It exists to make the demo's own pool
// exhaustion on this machine, never to load anything else, so it only talks
// to loopback addresses and its total work is bounded: at most
// MaxConcurrency workers, each starting at most one request per
// WorkerInterval, for at most MaxDuration.
const (
	MaxConcurrency = 200
	MaxDuration    = time.Hour
	// WorkerInterval paces each worker. With 40 workers the offered load is
	// at most 400 requests/s, which needs about 8 PgBouncer server
	// connections at the default 20 ms of work: far more than a pool of 2,
	// comfortably less than 12.
	WorkerInterval = 100 * time.Millisecond
	// loadRequestTimeout bounds one request; the demo answers within its own
	// deadline (100 ms by default) unless something is badly wrong.
	loadRequestTimeout = 5 * time.Second
)

// LoadStats counts what a load run saw.
type LoadStats struct {
	Requests        int           // requests sent
	OK              int           // answered 200
	Failed          int           // answered with another status
	TransportErrors int           // no answer (connection refused, timeout)
	ByCode          map[int]int   // answers by HTTP status
	Elapsed         time.Duration // wall time of the run
}

// ErrorRatio is the share of requests that did not get a 200, 0 when none
// were sent.
func (s LoadStats) ErrorRatio() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Failed+s.TransportErrors) / float64(s.Requests)
}

// String summarises the run in one line.
func (s LoadStats) String() string {
	return fmt.Sprintf("%d requests in %s: %d ok, %d failed, %d transport errors, error ratio %.3f, by code %v",
		s.Requests, s.Elapsed.Round(time.Millisecond), s.OK, s.Failed, s.TransportErrors, s.ErrorRatio(), s.ByCode)
}

// add merges o into s.
func (s *LoadStats) add(o LoadStats) {
	s.Requests += o.Requests
	s.OK += o.OK
	s.Failed += o.Failed
	s.TransportErrors += o.TransportErrors
	for code, n := range o.ByCode {
		s.ByCode[code] += n
	}
}

// Load sends GET requests to rawURL from concurrency workers for duration (or
// until ctx is done), each worker starting at most one request per
// WorkerInterval, and returns what it saw. It refuses URLs whose host is not
// a loopback address, concurrency outside 1..MaxConcurrency and durations
// outside (0, MaxDuration]. Requests still in flight when duration ends are
// allowed to finish, so the server does not see them as abandoned.
func Load(ctx context.Context, rawURL string, concurrency int, duration time.Duration) (LoadStats, error) {
	if err := checkLoopbackURL(rawURL); err != nil {
		return LoadStats{}, fmt.Errorf("load %s: %w", rawURL, err)
	}
	if concurrency < 1 || concurrency > MaxConcurrency {
		return LoadStats{}, fmt.Errorf("load %s: concurrency %d outside 1..%d", rawURL, concurrency, MaxConcurrency)
	}
	if duration <= 0 || duration > MaxDuration {
		return LoadStats{}, fmt.Errorf("load %s: duration %s outside (0, %s]", rawURL, duration, MaxDuration)
	}

	transport := &http.Transport{
		DialContext:         loopbackDialer(),
		MaxIdleConns:        concurrency,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     30 * time.Second,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport: transport,
		Timeout:   loadRequestTimeout,
		// A redirect could point anywhere; the demo never redirects.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	start := time.Now()
	stop := start.Add(duration)
	results := make([]LoadStats, concurrency)
	var wg sync.WaitGroup
	for i := range concurrency {
		// Stagger the workers across one interval so requests arrive evenly
		// instead of in bursts of concurrency.
		offset := WorkerInterval * time.Duration(i) / time.Duration(concurrency)
		wg.Go(func() { results[i] = loadWorker(ctx, client, rawURL, start.Add(offset), stop) })
	}
	wg.Wait()

	total := LoadStats{ByCode: map[int]int{}, Elapsed: time.Since(start)}
	for _, r := range results {
		total.add(r)
	}
	return total, nil
}

// loadWorker sends one request per WorkerInterval from first until stop or
// ctx is done.
func loadWorker(ctx context.Context, client *http.Client, rawURL string, first, stop time.Time) LoadStats {
	st := LoadStats{ByCode: map[int]int{}}
	timer := time.NewTimer(time.Until(first))
	defer timer.Stop()
	for next := first; next.Before(stop); next = next.Add(WorkerInterval) {
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return st
		case <-timer.C:
		}
		if !time.Now().Before(stop) {
			return st
		}
		st.Requests++
		code, err := get(ctx, client, rawURL)
		switch {
		case err != nil:
			st.TransportErrors++
		case code == http.StatusOK:
			st.OK++
			st.ByCode[code]++
		default:
			st.Failed++
			st.ByCode[code]++
		}
		// A worker that fell behind (a slow request) skips the missed slots
		// instead of catching up in a burst.
		if now := time.Now(); next.Add(WorkerInterval).Before(now) {
			next = now.Add(-WorkerInterval)
		}
	}
	return st
}

// get sends one request and drains the answer so the connection is reused.
func get(ctx context.Context, client *http.Client, rawURL string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, fmt.Errorf("new request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// checkLoopbackURL accepts http URLs whose host is a loopback IP literal or
// "localhost".
func checkLoopbackURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("scheme %q refused: want http", u.Scheme)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.IsLoopback() {
		return fmt.Errorf("host %q refused: the load generator only targets loopback addresses (127.0.0.1, ::1, localhost)", host)
	}
	return nil
}

// errNotLoopback is returned by the dialer when a name resolved to something
// other than a loopback address.
var errNotLoopback = errors.New("resolved address is not loopback")

// loopbackDialer dials only loopback addresses, so that even "localhost"
// resolving somewhere unexpected cannot send load off the machine.
func loopbackDialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 2 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		remote, ok := conn.RemoteAddr().(*net.TCPAddr)
		if !ok || !remote.IP.IsLoopback() {
			conn.Close()
			return nil, fmt.Errorf("dial %s: %w", addr, errNotLoopback)
		}
		return conn, nil
	}
}
