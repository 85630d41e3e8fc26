package workflows

const signalOnlyInTests = "tests-only" // test files do not define the contract
