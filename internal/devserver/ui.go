package devserver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiopts "github.com/temporalio/ui-server/v2/server/server_options"
)

// startUI serves the Web UI from the assets compiled into ui-server and waits
// until it answers. The UI server's Start blocks and exits the process on a
// listen error, which is why Start checked the port first and why it runs in
// a goroutine here.
func (s *Server) startUI(ctx context.Context, opts Options) error {
	s.ui = uiserver.NewServer(uiopts.WithConfigProvider(&uiconfig.Config{
		Host:                opts.Host,
		Port:                opts.UIPort,
		TemporalGRPCAddress: s.frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		// Plain HTTP on loopback: a Secure cookie would never be sent back,
		// and the UI's CSRF check would refuse every write action.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
	}))
	s.uiDone = make(chan struct{})
	go func() {
		defer close(s.uiDone)
		_ = s.ui.Start() // returns nil once Stop closes it
	}()
	s.uiURL = "http://" + hostPort(opts.Host, opts.UIPort)

	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uiURL+"/", nil)
		if err != nil {
			return fmt.Errorf("web UI request: %w", err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			s.ui.Stop()
			<-s.uiDone
			s.ui = nil
			return fmt.Errorf("wait for web UI on %s: %w (last error: %v)", s.uiURL, ctx.Err(), err)
		case <-s.uiDone:
			s.ui = nil
			return fmt.Errorf("web UI on %s stopped before answering: %w", s.uiURL, err)
		case <-tick.C:
		}
	}
}
