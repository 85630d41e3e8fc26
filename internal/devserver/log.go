package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts Temporal's log.Logger to an slog.Logger. The embedded
// server logs hundreds of info lines while it starts (membership, shard
// ownership, task queue loading), which would drown a developer's terminal,
// so only warnings and errors are passed on; debug and info are dropped before
// any tag is converted.
type serverLogger struct {
	l *slog.Logger
	// stopping is set when Stop begins: from then on the server's own
	// pollers, clients and task queue loaders report every request the
	// shutdown cancels, which says nothing to the developer, so warnings and
	// errors caused by a cancelled context are dropped; other errors are kept.
	stopping *atomic.Bool
}

// expectedWarnings are warnings that describe a choice this package made on
// purpose and would otherwise be printed on every start.
var expectedWarnings = []string{
	// The frontend's HTTP API (and with it Nexus over HTTP) is left off so
	// the gRPC ports and the UI are the only listeners.
	"HTTP API port has not been set",
}

var (
	_ log.Logger     = serverLogger{}
	_ log.WithLogger = serverLogger{}
)

func newServerLogger(l *slog.Logger) serverLogger {
	return serverLogger{l: l.With(slog.String("component", "temporal")), stopping: new(atomic.Bool)}
}

func (serverLogger) Debug(string, ...tag.Tag) {}
func (serverLogger) Info(string, ...tag.Tag)  {}

func (s serverLogger) Warn(msg string, tags ...tag.Tag) {
	if s.stopping.Load() {
		return
	}
	for _, w := range expectedWarnings {
		if strings.HasPrefix(msg, w) {
			return
		}
	}
	s.log(slog.LevelWarn, msg, tags)
}

func (s serverLogger) Error(msg string, tags ...tag.Tag) {
	if s.stopping.Load() && mentionsCancel(tags) {
		return
	}
	s.log(slog.LevelError, msg, tags)
}

func mentionsCancel(tags []tag.Tag) bool {
	for _, t := range tags {
		if err, ok := t.Value().(error); ok && errors.Is(err, context.Canceled) {
			return true
		}
		if strings.Contains(fmt.Sprint(t.Value()), context.Canceled.Error()) {
			return true
		}
	}
	return false
}

// DPanic only panics in Temporal's development mode; an embedded server is
// never in it, so the message is logged as an error.
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
}

// Panic keeps Temporal's contract: the caller does not expect to continue.
func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}

// Fatal keeps Temporal's contract (zap's Fatal exits the process): the server
// calls it only when it cannot go on, for instance a listener that fails.
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	os.Exit(1)
}

// With lets Temporal attach its per-component tags once instead of on every
// call.
func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	return serverLogger{l: s.l.With(attrs(tags)...), stopping: s.stopping}
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	s.l.Log(ctx, level, msg, attrs(tags)...)
}

func attrs(tags []tag.Tag) []any {
	out := make([]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, slog.Any(t.Key(), t.Value()))
	}
	return out
}
