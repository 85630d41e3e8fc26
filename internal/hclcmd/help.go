package hclcmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mitchellh/go-wordwrap"
)

// command describes one subcommand's help. Its flags come from newFlags,
// the same function the subcommand parses its arguments with, so the help
// lists exactly the flags that are accepted, with their current defaults.
type command struct {
	name        string // subcommand name, as typed after "firebreak"
	args        string // positional arguments in the usage line, like "PATH..."
	description string // one paragraph, unwrapped; help wraps it
	newFlags    func() *flag.FlagSet
}

// help renders usage line, description and flags in the layout of
// hashicorp/cli commands (Terraform, Nomad, Packer): no trailing newline,
// because cli.CLI prints Help() followed by one.
func (c command) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: firebreak %s [flags] %s\n\n", c.name, c.args)
	for _, line := range strings.Split(wordwrap.WrapString(c.description, 72), "\n") {
		b.WriteString("  " + line + "\n")
	}
	fs := c.newFlags()
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nFlags:\n\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
	}
	return strings.TrimRight(b.String(), "\n")
}

// parse parses args with fs. It reports ok=false with the exit code to
// return when parsing ends the command: -h (or -help) prints the help on
// stdout and succeeds; a bad flag prints the flag package's error and the
// help on stderr, a usage error.
func (c command) parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	// The flag package calls Usage before returning ErrHelp; the help is
	// printed below instead, on the stream that fits the outcome.
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return ExitOK, true
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(stdout, c.help())
		return ExitOK, false
	default:
		fmt.Fprintf(stderr, "\n%s\n", c.help())
		return ExitUsage, false
	}
}

// usageError prints a usage error and the help on stderr.
func (c command) usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "firebreak %s: %s\n\n%s\n", c.name, msg, c.help())
	return ExitUsage
}
