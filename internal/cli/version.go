package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/firebreak-dev/firebreak/internal/metrics"
)

// Version, when set at build time with
// -ldflags "-X github.com/firebreak-dev/firebreak/internal/cli.Version=v1.2.3",
// is the version `firebreak version` and firebreak_build_info report,
// instead of the module version the go command recorded.
var Version string

// buildInfo is this binary's build: what `firebreak version`, --version and
// firebreak_build_info say.
func buildInfo() metrics.Build { return metrics.ReadBuild(Version) }

// versionCommand is `firebreak version` (also `firebreak --version` and
// `-v`, which hashicorp/cli answers with the same line).
func versionCommand() command {
	return command{
		synopsis: "print the version, the commit it was built from and the Go version",
		description: "Print the module version (\"(devel)\" for a source build the go command " +
			"could not stamp, or the version set with -ldflags -X), the VCS revision and its " +
			"time, whether the work tree was modified, and the Go version, as recorded in the " +
			"binary. /metrics reports the same as firebreak_build_info.",
		flags: func(fs *flag.FlagSet) action {
			asJSON := fs.Bool("json", false, "print an object with version, revision, time, modified and go")
			return func(_ context.Context, _ []string, stdio IO) int {
				b := buildInfo()
				if *asJSON {
					return writeJSON(stdio.Out, b)
				}
				fmt.Fprintln(stdio.Out, b.String())
				return ExitOK
			}
		},
	}
}
