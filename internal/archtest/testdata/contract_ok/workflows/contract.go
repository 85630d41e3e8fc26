// Package workflows declares the contract once.
package workflows

const (
	FooWorkflowName = "Foo"
	SignalPoke      = "poke"
)
