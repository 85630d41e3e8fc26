// Package workflows is the contract package of the mini-tree: its
// constants are the contract, and literals here are allowed.
package workflows

const (
	FooWorkflowName = "Foo"
	fooIDPrefix     = "foo/"
	FooWorkflowID   = fooIDPrefix + "main"
	SignalPoke      = "poke"
	signalNudge     = "nudge"
	QueryBar        = "bar"
	UpdateSet       = "set"
	notContract     = "plain" // a name that does not match: not part of the contract
)

func register(w worker, ctx context) {
	w.RegisterWorkflowWithOptions(Foo, workflow.RegisterOptions{Name: "Foo"})
	_ = workflow.GetSignalChannel(ctx, "poke")
}
