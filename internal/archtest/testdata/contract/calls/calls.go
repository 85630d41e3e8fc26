// Package calls spells contract names as literals in Temporal API calls.
package calls

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

func calls(c client.Client, ctx context, opts options, id string) {
	c.SignalWorkflow(ctx, "foo/main", "", "poke", nil)
	c.SignalWorkflow(ctx, id, "", ("unknown"), nil)
	c.SignalWorkflow(ctx, id, "", workflows.SignalPoke, nil)
	c.SignalWithStartWorkflow(ctx, id, "poke", nil, opts, "Foo", 1)
	c.SignalWithStartWorkflow(ctx, id, workflows.SignalPoke, nil, opts, workflows.FooWorkflowName)
	c.QueryWorkflow(ctx, id, "", "bar")
	c.ExecuteWorkflow(ctx, opts, "Foo")
	c.ExecuteWorkflow(ctx, opts, Foo, "an argument, not a name")
	c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: "foo/main", UpdateName: "set"})
	c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: workflows.UpdateSet},
	})
	_ = UpdateWorkflowOptions{UpdateName: "set"}
	_ = workflow.GetSignalChannel(ctx, "nudge")
	_ = workflow.SetQueryHandler(ctx, "bar", nil)
	_ = workflow.SetUpdateHandler(ctx, "set", nil)
	_ = workflow.SetUpdateHandlerWithOptions(ctx, "set", nil, opts)
	_ = workflow.SignalExternalWorkflow(ctx, id, "", "poke", nil)
	_ = workflow.ExecuteChildWorkflow(ctx, "Foo")
	_ = workflow.NewContinueAsNewError(ctx, "Foo")
	_ = workflow.RegisterOptions{Name: "Foo"}
	_ = activity.RegisterOptions{Name: "an-activity"}
	c.SignalWorkflow(ctx) // too few arguments: nothing to judge
}
