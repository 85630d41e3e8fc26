package cli

import (
	"context"

	"github.com/firebreak-dev/firebreak/internal/hclcmd"
)

// validateCommand is `firebreak validate`, implemented by internal/hclcmd,
// which parses its own flags and renders its help from the same FlagSet.
func validateCommand() command {
	return command{
		synopsis: "check runbooks and engine config; exit 1 with diagnostics when invalid",
		args:     "PATH...",
		own: func(_ context.Context, args []string, stdio IO) int {
			return hclcmd.Validate(args, stdio.Out, stdio.Err)
		},
		help: hclcmd.ValidateHelp,
	}
}

// fmtCommand is `firebreak fmt`, implemented by internal/hclcmd.
func fmtCommand() command {
	return command{
		synopsis: "rewrite runbooks in canonical HCL format (-check, -diff, -write)",
		args:     "PATH...",
		own: func(_ context.Context, args []string, stdio IO) int {
			return hclcmd.Fmt(args, stdio.In, stdio.Out, stdio.Err)
		},
		help: hclcmd.FmtHelp,
	}
}
