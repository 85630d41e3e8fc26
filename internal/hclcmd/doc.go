// Package hclcmd implements `firebreak validate` and `firebreak fmt`: the
// commands that check and format runbooks and firebreak.hcl for people, CI
// and editors. They print diagnostics only here, at the command edge, and
// return exit codes instead of exiting so the CLI and tests can embed them.
package hclcmd

// Exit codes shared by the commands, as documented in the CLI contract.
const (
	ExitOK      = 0 // success
	ExitFinding = 1 // invalid input, or fmt -check found a file to rewrite
	ExitUsage   = 2 // bad flags, unreadable paths and other runtime errors
)
