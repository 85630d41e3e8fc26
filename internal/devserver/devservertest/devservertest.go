// Package devservertest starts the embedded Temporal dev server for another
// package's integration tests. It lives apart from devserver so that the
// firebreak binary does not link the testing package.
package devservertest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/devserver"
)

// startTimeout bounds the start-up, generously: a new state starts in about a
// second, but a loaded CI machine running several test binaries is slower.
const startTimeout = 60 * time.Second

// StartForTest starts a server on a fresh temporary state directory, with the
// Web UI disabled and the "default" namespace, and stops it when the test
// ends. It fails the test if the server cannot start. Server warnings go to
// the test log so that they appear next to the failure they explain.
func StartForTest(t testing.TB) *devserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	w := &testWriter{t: t}
	// Registered first so that it runs last: the server's goroutines may
	// still log while Stop runs, but t.Log panics once the test is over.
	t.Cleanup(w.close)
	s, err := devserver.Start(ctx, devserver.Options{
		StateDir: t.TempDir(),
		UIPort:   -1,
		Logger:   slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("start Temporal dev server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop Temporal dev server: %v", err)
		}
	})
	return s
}

// testWriter sends log lines to t.Log until the test's cleanup closes it,
// and drops them afterwards.
type testWriter struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
