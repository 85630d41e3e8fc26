// Package logging holds the one rule for a component whose logger may be
// left unset: use it when given, else a stated fallback.
package logging

import "log/slog"

// discard drops every record; it is shared because a logger over
// slog.DiscardHandler holds no state.
var discard = slog.New(slog.DiscardHandler)

// OrDiscard returns l, or a logger that drops everything when l is nil.
// Activities use it so that a worker built without a logger stays quiet.
func OrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return discard
	}
	return l
}

// OrDefault returns l, or slog.Default() when l is nil. slog.Default is read
// on every call, so a later slog.SetDefault takes effect.
func OrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
