// Package cli implements firebreak's subcommands. Run never touches process
// signals or os.Exit, so tests and benchmarks can embed it; cmd/firebreak
// owns both.
//
// Every command is one entry of the table commands returns, run through
// github.com/hashicorp/cli (Terraform's, Nomad's and Packer's command
// runner) so that every command answers -h, `firebreak help CMD`, unknown
// flags and wrong arguments the same way. A command declares its flags in
// one function; parsing, the help and shell completion all use the FlagSet
// it fills, so none of them can drift from the others.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	hcli "github.com/hashicorp/cli"
	"github.com/mitchellh/go-wordwrap"
)

// Exit codes, as documented in the README: 0 success, 1 a finding, 2 a usage
// or runtime error.
const (
	ExitOK      = 0
	ExitFinding = 1
	ExitError   = 2
)

// IO is where a command reads and writes.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// action runs a command once its flags are parsed, with the positional
// arguments that are left.
type action func(ctx context.Context, args []string, stdio IO) int

// command is one entry of the command table.
type command struct {
	synopsis    string // one line, for the list of commands
	args        string // positional arguments in the usage line: "INCIDENT_ID", "PATH...", "[COMMAND...]"
	usage       string // the usage line's arguments and flags, when not "[flags] " + args
	minArgs     int    // fewest positional arguments
	maxArgs     int    // most positional arguments; -1 for no limit
	hint        string // added to the error for an unexpected argument
	description string // one paragraph, unwrapped; the help wraps it
	// flags declares the command's flags on fs and returns what runs the
	// command with them: help and completion call it too, on a FlagSet
	// of their own, so they list exactly the flags parsing accepts.
	flags func(fs *flag.FlagSet) action
	// own, instead of flags, runs a command that parses its own
	// arguments (validate and fmt, in internal/hclcmd); help then returns
	// its help text and completion reads its flags from there.
	own  action
	help func() string
}

// commands is the command table. Names with a space are subcommands
// ("incidents show"). A function rather than a variable because help runs
// Run, which reads the table.
func commands() map[string]command {
	return map[string]command{
		"dev":            devCommand(),
		"serve":          serveCommand(),
		"validate":       validateCommand(),
		"fmt":            fmtCommand(),
		"incidents":      incidentsCommand(),
		"incidents list": incidentsListCommand(),
		"incidents show": incidentsShowCommand(),
		"approve":        decideCommand("approve"),
		"deny":           decideCommand("deny"),
		"ack":            decideCommand("ack"),
		"pause":          pauseCommand(),
		"resume":         resumeCommand(),
		"guardrails":     guardrailsCommand(),
		"bench":          benchCommand(),
		"version":        versionCommand(),
		"completion":     completionCommand(),
		"help":           helpCommand(),
	}
}

// Run runs the command args name, with the rest of args: "firebreak" is
// not in args. It returns the exit code.
func Run(ctx context.Context, args []string, stdio IO) int {
	table := commands()
	if line, ok := os.LookupEnv("COMP_LINE"); ok && line != "" {
		// The shell asks the binary to complete a command line
		// (`complete -C firebreak firebreak`); see completion.go.
		completeLine(table, stdio.Out)
		return ExitOK
	}
	if len(args) == 0 {
		fmt.Fprintln(stdio.Out, topHelp(table))
		return ExitError
	}
	factories := make(map[string]hcli.CommandFactory, len(table))
	for name, c := range table {
		b := &boundCommand{name: name, c: c, ctx: ctx, stdio: stdio}
		factories[name] = func() (hcli.Command, error) { return b, nil }
	}
	c := &hcli.CLI{
		Name:        "firebreak",
		Args:        args,
		Version:     buildInfo().String(),
		Commands:    factories,
		HelpFunc:    func(map[string]hcli.CommandFactory) string { return topHelp(table) },
		HelpWriter:  stdio.Out,
		ErrorWriter: stdio.Err,
	}
	// hashicorp/cli answers these with its own exit codes (1, 127); the
	// contract here is 2 for every usage error.
	if !c.IsHelp() && !c.IsVersion() && strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stdio.Err, "firebreak: flag provided but not defined: %s (a command's flags go after its name)\n\n%s\n", args[0], topHelp(table))
		return ExitError
	}
	if sub := c.Subcommand(); sub != "" {
		if _, ok := table[sub]; !ok {
			fmt.Fprintf(stdio.Err, "firebreak: unknown command %q\n\n%s\n", sub, topHelp(table))
			return ExitError
		}
	}
	code, err := c.Run()
	if err != nil {
		fmt.Fprintf(stdio.Err, "firebreak: %v\n", err)
		return ExitError
	}
	return code
}

// boundCommand is a table entry as hashicorp/cli runs it, with the context
// and streams of one Run.
type boundCommand struct {
	name  string
	c     command
	ctx   context.Context
	stdio IO
}

// Synopsis implements hcli.Command.
func (b *boundCommand) Synopsis() string { return b.c.synopsis }

// Help implements hcli.Command; hashicorp/cli prints it for -h, -help and
// --help, and adds the list of subcommands where there are any.
func (b *boundCommand) Help() string { return helpText(b.name, b.c) }

// Run implements hcli.Command: parse the flags, check the positional
// arguments, run.
func (b *boundCommand) Run(args []string) int {
	if b.c.own != nil {
		return b.c.own(b.ctx, args, b.stdio)
	}
	fs := flag.NewFlagSet("firebreak "+b.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed below, with the help
	fs.Usage = func() {}
	run := b.c.flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // after "--" hashicorp/cli leaves -h to us
			fmt.Fprintln(b.stdio.Out, b.Help())
			return ExitOK
		}
		return b.usageError(err.Error())
	}
	if n := fs.NArg(); n < b.c.minArgs || (b.c.maxArgs >= 0 && n > b.c.maxArgs) {
		return b.usageError(argsError(b.c, fs.Args()))
	}
	return run(b.ctx, fs.Args(), b.stdio)
}

// usageError prints a usage error and the command's help on stderr.
func (b *boundCommand) usageError(msg string) int {
	fmt.Fprintf(b.stdio.Err, "firebreak %s: %s\n\n%s\n", b.name, msg, b.Help())
	return ExitError
}

// argsError says what is wrong with the positional arguments got.
func argsError(c command, got []string) string {
	if c.maxArgs == 0 {
		msg := fmt.Sprintf("unexpected argument %q", got[0])
		if c.hint != "" {
			msg += " (" + c.hint + ")"
		}
		return msg
	}
	if len(got) < c.minArgs {
		return "missing " + c.args
	}
	msg := fmt.Sprintf("want %s, got %s", c.args, plural(len(got), "argument", "arguments"))
	for _, a := range got {
		if strings.HasPrefix(a, "-") {
			return msg + fmt.Sprintf(" (%s looks like a flag: flags go before the arguments)", a)
		}
	}
	return msg
}

// helpText is a command's help: usage line, description and flags, in the
// layout of hashicorp/cli commands (and of internal/hclcmd's), without a
// trailing newline.
func helpText(name string, c command) string {
	if c.help != nil {
		return c.help()
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.flags(fs)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	var b strings.Builder
	b.WriteString("Usage: firebreak " + name)
	switch {
	case c.usage != "":
		b.WriteString(" " + c.usage)
	case hasFlags && c.args != "":
		b.WriteString(" [flags] " + c.args)
	case hasFlags:
		b.WriteString(" [flags]")
	case c.args != "":
		b.WriteString(" " + c.args)
	}
	b.WriteString("\n\n")
	for _, line := range strings.Split(wordwrap.WrapString(c.description, 72), "\n") {
		b.WriteString("  " + line + "\n")
	}
	if hasFlags {
		b.WriteString("\nFlags:\n\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
	}
	return strings.TrimRight(b.String(), "\n")
}

// topHelp lists the commands.
func topHelp(table map[string]command) string {
	names := make([]string, 0, len(table))
	width := 0
	for n := range table {
		if !strings.Contains(n, " ") {
			names = append(names, n)
			width = max(width, len(n))
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage: firebreak [--version] [--help] <command> [flags] [args]\n\n")
	b.WriteString("firebreak turns incident runbooks into durable Temporal workflows.\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, n, table[n].synopsis)
	}
	b.WriteString("\nRun 'firebreak help <command>' (or 'firebreak <command> -h') for a command's arguments and flags.\n")
	b.WriteString("Exit status: 0 success, 1 a finding (invalid runbook, refused request), 2 a usage or runtime error.")
	return b.String()
}

// helpCommand is `firebreak help [COMMAND...]`: the same text as
// `firebreak COMMAND -h`, from the same code.
func helpCommand() command {
	return command{
		synopsis: "show the list of commands, or a command's help",
		args:     "[COMMAND [SUBCOMMAND]]",
		maxArgs:  2,
		description: "Without arguments, list the commands. With a command (and a subcommand, " +
			"as in 'firebreak help incidents show'), print its usage, what it does and " +
			"its flags: the text 'firebreak COMMAND -h' prints.",
		flags: func(*flag.FlagSet) action {
			return func(ctx context.Context, args []string, stdio IO) int {
				if len(args) == 0 {
					fmt.Fprintln(stdio.Out, topHelp(commands()))
					return ExitOK
				}
				return Run(ctx, slices.Concat(args, []string{"-h"}), stdio)
			}
		},
	}
}

// plural is "1 incident", "2 incidents".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
