package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// serveOptions are `firebreak serve`'s flags.
type serveOptions struct {
	configPath, role, runbookDir, recordPath, logLevel string
}

// serveCommand is `firebreak serve`: production mode against an existing
// Temporal cluster. Receivers and workers scale out independently (-role).
func serveCommand() command {
	return command{
		synopsis: "run the receiver and/or worker against an existing Temporal cluster",
		description: "Run firebreak in production: the webhook receiver and operator API, the " +
			"worker, or both (-role), against the Temporal cluster the config names. Receivers " +
			"and workers scale out independently. Runs until interrupted. Unlike firebreak dev it " +
			"never makes an operator: the operator API answers only the config's operator blocks.",
		flags: func(fs *flag.FlagSet) action {
			var o serveOptions
			fs.StringVar(&o.configPath, "config", "", "engine config file (firebreak.hcl); required")
			fs.StringVar(&o.role, "role", engine.RoleAll, "all, receiver or worker")
			fs.StringVar(&o.runbookDir, "runbooks", "", "runbook file or directory, comma separated (required for the receiver)")
			fs.StringVar(&o.recordPath, "record", "", "file to append escalation records to (empty: log only)")
			fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
			return func(ctx context.Context, _ []string, stdio IO) int { return runServe(ctx, o, stdio) }
		},
	}
}

// runServe runs `firebreak serve` until ctx ends.
func runServe(ctx context.Context, o serveOptions, stdio IO) int {
	switch o.role {
	case engine.RoleAll, engine.RoleReceiver, engine.RoleWorker:
	default:
		fmt.Fprintf(stdio.Err, "firebreak serve: -role must be all, receiver or worker, not %q\n", o.role)
		return ExitError
	}
	if o.configPath == "" {
		fmt.Fprintln(stdio.Err, "firebreak serve: -config is required")
		return ExitError
	}
	log := newLogger(stdio.Err, o.logLevel)
	cfg, code := loadConfig(o.configPath, stdio)
	if code != ExitOK {
		return code
	}
	set := &runbooks.Set{}
	if o.role != engine.RoleWorker {
		if o.runbookDir == "" {
			fmt.Fprintln(stdio.Err, "firebreak serve: -runbooks is required for the receiver")
			return ExitError
		}
		if set, code = loadRunbooks(splitPaths(o.runbookDir), stdio); code != ExitOK {
			return code
		}
	}
	opts, _, err := engineOptions(cfg, set, log)
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak serve: %v\n", err)
		return ExitError
	}
	opts.Role = o.role
	opts.RecordPath = o.recordPath
	eng, err := engine.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak serve: %v\n", err)
		return ExitError
	}
	defer eng.Stop()
	fmt.Fprintf(stdio.Out, "firebreak serve (%s) on http://%s, temporal %s/%s, task queue %s\n",
		o.role, eng.Addr(), opts.TemporalAddress, opts.Namespace, opts.TaskQueue)
	<-ctx.Done()
	return ExitOK
}
