package hidden

const FooWorkflowName = "Foo" // hidden directory: not judged
