// Command demo runs the pool-exhaustion scenario's payment API (serve) or its
// bounded load generator (load). The logic lives in package demo; this file
// only turns flags into its configuration and handles signals.
//
//	demo serve --listen 127.0.0.1:18080 --dsn 'postgres://app:pw@127.0.0.1:16432/demo'
//	demo load  --url http://127.0.0.1:18080/pay --concurrency 40 --duration 60s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/firebreak-dev/firebreak/examples/pool-exhaustion/demo"
)

const usage = `usage:
  demo serve [--listen ADDR] --dsn DSN [--work D] [--timeout D] [--max-conns N] [--service NAME]
  demo load  [--url URL] [--concurrency N] [--duration D]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the exit code: 0 success, 2 usage
// or runtime error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "load":
		err = load(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "demo: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "demo %s: %v\n", args[0], err)
		return 2
	}
	return 0
}

// serve runs the payment API until ctx is done.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg demo.Config
	var maxConns int
	fs.StringVar(&cfg.Listen, "listen", demo.DefaultListen, "HTTP listen address")
	fs.StringVar(&cfg.DSN, "dsn", os.Getenv("DEMO_DSN"), "PgBouncer URL of the pooled database (default $DEMO_DSN)")
	fs.StringVar(&cfg.Service, "service", demo.DefaultService, "value of the service label on every metric")
	fs.DurationVar(&cfg.Work, "work", demo.DefaultWork, "how long each transaction holds its server connection")
	fs.DurationVar(&cfg.Timeout, "timeout", demo.DefaultTimeout, "per-request deadline for connection acquisition plus query")
	fs.IntVar(&maxConns, "max-conns", demo.DefaultMaxConns, "client-side pool size (keep it above PgBouncer's pool)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.MaxConns = int32(min(maxConns, 1<<20))
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	cfg.Logger = logger

	srv, err := demo.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	logger.Info("demo payment API listening", "addr", cfg.Listen, "work", cfg.Work, "timeout", cfg.Timeout, "max_conns", cfg.MaxConns)
	return srv.ListenAndServe(ctx)
}

// load runs the bounded load generator and prints its summary.
func load(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://"+demo.DefaultListen+"/pay", "payment URL (loopback only)")
	concurrency := fs.Int("concurrency", 40, fmt.Sprintf("workers, each sending at most one request per %s (max %d)", demo.WorkerInterval, demo.MaxConcurrency))
	duration := fs.Duration("duration", time.Minute, fmt.Sprintf("how long to send (max %s)", demo.MaxDuration))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fmt.Fprintf(stdout, "load: %d workers for %s against %s\n", *concurrency, *duration, *url)
	stats, err := demo.Load(ctx, *url, *concurrency, *duration)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "load: %s\n", stats)
	return nil
}
