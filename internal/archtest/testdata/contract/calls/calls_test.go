package calls

const FooWorkflowName = "Foo" // test files are exempt

func inTests(c client.Client) { c.SignalWorkflow(ctx, id, "", "poke", nil) }
