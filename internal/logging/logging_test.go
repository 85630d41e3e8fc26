package logging

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
)

func TestOrDiscard(t *testing.T) {
	l := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	if OrDiscard(l) != l {
		t.Fatal("a given logger is not returned")
	}
	if OrDiscard(nil).Enabled(context.Background(), slog.LevelError) {
		t.Fatal("the fallback logs")
	}
}

func TestOrDefault(t *testing.T) {
	l := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	if OrDefault(l) != l {
		t.Fatal("a given logger is not returned")
	}
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	slog.SetDefault(l)
	if OrDefault(nil) != l {
		t.Fatal("nil does not give slog.Default()")
	}
}
