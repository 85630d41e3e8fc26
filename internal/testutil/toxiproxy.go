package testutil

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	_ "github.com/Shopify/toxiproxy/v2/toxics" // registers the toxic types (latency, timeout, ...)
	"github.com/rs/zerolog"
)

var proxySeq atomic.Int64

// Proxy puts an in-process Toxiproxy proxy on 127.0.0.1 in front of
// upstream (host:port) and returns the address to dial instead, so fault
// tests can make a dependency slow (AddLatency) or down (p.Stop, p.Start
// to bring it back on the same address) without a separate toxiproxy
// process. The proxy stops when the test ends.
func Proxy(t testing.TB, upstream string) (string, *toxiproxy.Proxy) {
	t.Helper()
	upstream = strings.TrimPrefix(strings.TrimPrefix(upstream, "http://"), "https://")
	upstream = strings.TrimSuffix(upstream, "/")
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	name := fmt.Sprintf("firebreak-%d", proxySeq.Add(1))
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := srv.Collection.Add(p, true); err != nil {
		t.Fatalf("toxiproxy: start proxy to %s: %v", upstream, err)
	}
	t.Cleanup(p.Stop)
	return p.Listen, p
}

// AddLatency delays every answer through p by d, as a slow dependency would.
func AddLatency(t testing.TB, p *toxiproxy.Proxy, d time.Duration) {
	t.Helper()
	spec := fmt.Sprintf(`{"type":"latency","stream":"downstream","attributes":{"latency":%d}}`, d.Milliseconds())
	if _, err := p.Toxics.AddToxicJson(strings.NewReader(spec)); err != nil {
		t.Fatalf("toxiproxy: add latency %s: %v", d, err)
	}
}
