package skipped

const FooWorkflowName = "Foo" // under testdata: not part of the module
