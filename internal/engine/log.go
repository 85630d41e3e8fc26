package engine

import (
	"log/slog"

	"go.temporal.io/sdk/log"
)

// newTemporalLogger adapts slog to the SDK's logger. The SDK logs through
// the engine's own handler, so its level and format are the engine's: the
// SDK's debug lines appear only when the engine logs at debug.
func newTemporalLogger(l *slog.Logger) log.Logger {
	return log.NewStructuredLogger(l)
}
