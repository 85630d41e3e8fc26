package devserver

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStartNewState measures Start on an empty state directory: schema
// creation in both files, namespace registration, server start, and the wait
// until the namespace answers.
func BenchmarkStartNewState(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		stopAfter(b, startBench(b, dir))
	}
	reportMsPerStart(b)
}

// BenchmarkStartExistingState measures Start on a state directory that holds
// a previous server's files. Each iteration copies a prepared state (the
// database and WAL files, without the -shm index, as a killed process leaves
// them) to a new path, because the SQLite plugin caches connections per path
// for the life of the process and a restart on the same path in one process
// would skip opening the files, which a real restart does not.
func BenchmarkStartExistingState(b *testing.B) {
	seed := b.TempDir()
	s := startBench(b, seed)
	c, err := dial(s)
	if err != nil {
		b.Fatal(err)
	}
	w, err := newWorker(c)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		runGreet(b, c, fmt.Sprintf("seed-%d", i))
	}
	w.Stop()
	c.Close()
	if err := s.Stop(); err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		copyState(b, seed, dir)
		b.StartTimer()
		stopAfter(b, startBench(b, dir))
	}
	reportMsPerStart(b)
}

func startBench(b *testing.B, dir string) *Server {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{StateDir: dir, UIPort: -1, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func stopAfter(b *testing.B, s *Server) {
	b.StopTimer()
	if err := s.Stop(); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
}

func reportMsPerStart(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/start")
}

func copyState(b *testing.B, from, to string) {
	for _, name := range []string{historyDBFile, historyDBFile + "-wal", visibilityDBFile, visibilityDBFile + "-wal"} {
		src, err := os.Open(filepath.Join(from, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(to, name))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			b.Fatal(err)
		}
		_ = src.Close()
		if err := dst.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
