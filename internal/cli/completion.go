package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/posener/complete"
)

// Shell completion: the binary completes itself. Bash (and zsh through
// bashcompinit) run `firebreak` with COMP_LINE and COMP_POINT set for
// `complete -C /path/to/firebreak firebreak`; Run then prints the
// candidates, one a line, and nothing else. The candidates come from the
// command table: command names, subcommands, and each command's flags from
// its FlagSet (validate's and fmt's from their help).

// completionCommand is `firebreak completion bash|zsh`.
func completionCommand() command {
	return command{
		synopsis: "print a bash or zsh script that completes firebreak's commands and flags",
		args:     "SHELL",
		minArgs:  1,
		maxArgs:  1,
		description: "Print the script that makes SHELL (bash or zsh) complete firebreak's " +
			"commands, subcommands and flags: add 'source <(firebreak completion bash)' to " +
			"~/.bashrc, or 'source <(firebreak completion zsh)' to ~/.zshrc. The script names " +
			"this binary by its absolute path, which asks it for the candidates, so build " +
			"it (go build -o) rather than use go run.",
		flags: func(*flag.FlagSet) action {
			return func(_ context.Context, args []string, stdio IO) int {
				exe, err := os.Executable()
				if err != nil {
					fmt.Fprintf(stdio.Err, "firebreak completion: find this binary: %v\n", err)
					return ExitError
				}
				script, err := completionScript(args[0], exe)
				if err != nil {
					fmt.Fprintf(stdio.Err, "firebreak completion: %v\n", err)
					return ExitError
				}
				_, _ = io.WriteString(stdio.Out, script)
				return ExitOK
			}
		},
	}
}

// completionScript is the script for shell that completes with the binary
// at exe.
func completionScript(shell, exe string) (string, error) {
	line := fmt.Sprintf("complete -C %s firebreak\n", shellQuote(exe))
	switch shell {
	case "bash":
		return "# firebreak completion for bash: source <(firebreak completion bash)\n" + line, nil
	case "zsh":
		return "# firebreak completion for zsh: source <(firebreak completion zsh)\n" +
			"autoload -U +X bashcompinit && bashcompinit\n" + line, nil
	}
	return "", fmt.Errorf("unknown shell %q: want bash or zsh", shell)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// completeLine prints the candidates for COMP_LINE to out.
func completeLine(table map[string]command, out io.Writer) {
	comp := complete.New("firebreak", completionTree(table))
	comp.Out = out
	comp.Complete()
}

// completionTree is the command table as posener/complete describes it.
func completionTree(table map[string]command) complete.Command {
	root := completionNode(table, "")
	root.Flags = complete.Flags{
		"-h": complete.PredictNothing, "-help": complete.PredictNothing, "--help": complete.PredictNothing,
		"-v": complete.PredictNothing, "-version": complete.PredictNothing, "--version": complete.PredictNothing,
	}
	return root
}

// completionNode is the command named name ("" for firebreak itself) with
// its subcommands.
func completionNode(table map[string]command, name string) complete.Command {
	var node complete.Command
	if c, ok := table[name]; ok {
		node.Flags = completionFlags(name, c)
		node.Args = completionArgs(name)
	}
	for full := range table {
		sub, ok := full, name == ""
		if !ok {
			sub, ok = strings.CutPrefix(full, name+" ")
		}
		if !ok || strings.Contains(sub, " ") {
			continue
		}
		if node.Sub == nil {
			node.Sub = complete.Commands{}
		}
		node.Sub[sub] = completionNode(table, full)
	}
	return node
}

// helpFlag matches a flag line of flag.PrintDefaults: "  -name" or
// "  -name type".
var helpFlag = regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9_-]*)( \S+)?$`)

// completionFlags are a command's flags with what their values complete
// to.
func completionFlags(name string, c command) complete.Flags {
	flags := complete.Flags{}
	if c.flags == nil {
		for _, m := range helpFlag.FindAllStringSubmatch(c.help(), -1) {
			flags["-"+m[1]] = complete.PredictNothing
			if m[2] != "" {
				flags["-"+m[1]] = complete.PredictAnything
			}
		}
		return flags
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.flags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		flags["-"+f.Name] = flagValues(f)
	})
	return flags
}

// flagValues is what a flag's value completes to.
func flagValues(f *flag.Flag) complete.Predictor {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return complete.PredictNothing
	}
	switch f.Name {
	case "config", "token-file", "record":
		return complete.PredictFiles("*")
	case "runbooks":
		return complete.PredictFiles("*.hcl")
	case "state":
		return complete.PredictDirs("*")
	case "role":
		return complete.PredictSet("all", "receiver", "worker")
	case "log-level":
		return complete.PredictSet("debug", "info", "warn", "error")
	}
	return complete.PredictAnything
}

// completionArgs is what a command's positional arguments complete to.
func completionArgs(name string) complete.Predictor {
	switch name {
	case "validate", "fmt":
		return complete.PredictFiles("*.hcl")
	case "completion":
		return complete.PredictSet("bash", "zsh")
	}
	return complete.PredictNothing
}
