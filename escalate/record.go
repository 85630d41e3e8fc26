package escalate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// RecordSinkName is the structured record sink's name in incident records;
// runbooks call it log.
const RecordSinkName = "log"

// RecordSink writes each escalation (with the incident's bounded Summary)
// as one JSON object: to the log at the escalation's level, and appended as
// a line to Path when Path is set. It is
// the destination that always works, so an escalation is never lost even
// when every paging integration is down.
type RecordSink struct {
	Path string
	Log  *slog.Logger

	mu sync.Mutex
}

// Send logs the escalation and appends it to Path.
func (r *RecordSink) Send(_ context.Context, e Escalation) error {
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	level := slog.LevelError
	switch e.Level {
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	}
	actions := make([]string, 0, len(e.Record.Actions))
	for _, a := range e.Record.Actions {
		actions = append(actions, fmt.Sprintf("%s %s: %d -> %d applied=%t dry_run=%t", a.Kind, a.Target, a.Prior, a.Planned, a.Applied, a.DryRun))
	}
	log.Log(context.Background(), level, "incident escalated",
		"incident", e.IncidentID, "runbook", e.Runbook, "reason", e.Reason,
		"alert", e.Record.Alert.Labels, "actions", actions, "checks", max(e.Record.ChecksTotal, len(e.Record.Checks)))
	if r.Path == "" {
		return nil
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode escalation: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(r.Path), 0o750); err != nil {
		return fmt.Errorf("write escalation record: %w", err)
	}
	f, err := os.OpenFile(r.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("write escalation record: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write escalation record: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write escalation record: %w", err)
	}
	return nil
}
