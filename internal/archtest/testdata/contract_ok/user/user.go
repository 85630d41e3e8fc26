// Package user uses the contract through its constants.
package user

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

const (
	Foo        = workflows.FooWorkflowName // an alias, not a copy
	greeting   = "hello"
	pokeSignal = workflows.SignalPoke
)

func use(c client.Client, ctx context, opts options, id string) {
	c.SignalWithStartWorkflow(ctx, id, workflows.SignalPoke, nil, opts, workflows.FooWorkflowName)
	_ = workflow.GetSignalChannel(ctx, pokeSignal)
	_ = c.SignalWorkflow(ctx, id, "", workflows.SignalPoke, greeting)
}
