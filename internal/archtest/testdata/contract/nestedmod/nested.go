package nested

const FooWorkflowName = "Foo" // another module: not judged
