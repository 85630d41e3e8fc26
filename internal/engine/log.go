package engine

import (
	"log/slog"

	"go.temporal.io/sdk/log"
)

// newTemporalLogger adapts slog to the SDK's logger, dropping the SDK's
// debug chatter and keeping what an operator needs.
func newTemporalLogger(l *slog.Logger) log.Logger {
	return log.NewStructuredLogger(l)
}
