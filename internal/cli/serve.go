package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// runServe is `firebreak serve`: production mode against an existing
// Temporal cluster. Receivers and workers scale out independently (--role).
func runServe(ctx context.Context, args []string, stdio IO) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	configPath := fs.String("config", "", "engine config file (firebreak.hcl)")
	role := fs.String("role", engine.RoleAll, "all, receiver or worker")
	runbookDir := fs.String("runbooks", "", "runbook file or directory, comma separated (required for the receiver)")
	recordPath := fs.String("record", "", "file to append escalation records to (empty: log only)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return ExitError
	}
	switch *role {
	case engine.RoleAll, engine.RoleReceiver, engine.RoleWorker:
	default:
		fmt.Fprintf(stdio.Err, "firebreak serve: --role must be all, receiver or worker, not %q\n", *role)
		return ExitError
	}
	if *configPath == "" {
		fmt.Fprintln(stdio.Err, "firebreak serve: --config is required")
		return ExitError
	}
	log := newLogger(stdio.Err, *logLevel)
	cfg, code := loadConfig(*configPath, stdio)
	if code != ExitOK {
		return code
	}
	set := &runbooks.Set{}
	if *role != engine.RoleWorker {
		if *runbookDir == "" {
			fmt.Fprintln(stdio.Err, "firebreak serve: --runbooks is required for the receiver")
			return ExitError
		}
		if set, code = loadRunbooks(splitPaths(*runbookDir), stdio); code != ExitOK {
			return code
		}
	}
	opts, _, err := engineOptions(cfg, set, log)
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak serve: %v\n", err)
		return ExitError
	}
	opts.Role = *role
	opts.RecordPath = *recordPath
	eng, err := engine.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak serve: %v\n", err)
		return ExitError
	}
	defer eng.Stop()
	fmt.Fprintf(stdio.Out, "firebreak serve (%s) on http://%s, temporal %s/%s, task queue %s\n",
		*role, eng.Addr(), opts.TemporalAddress, opts.Namespace, opts.TaskQueue)
	<-ctx.Done()
	return ExitOK
}
