// Package dup re-declares the contract under contract-like names.
package dup

const (
	FooWorkflowName = "Foo"
	PokeSignal      = "poke"
	fooIDPrefix     = "fo" + "o/"
	prefixCopy      = fooIDPrefix // not contract-like, not a Temporal package
	FooWorkflowID   = fooIDPrefix + "main"
	PlainSignal     = "plain" // "plain" is not a contract string
	Workflows       = "other" // contract-like name, innocent value
)

var barQuery = "bar"

func f() {
	const nudgeSignal = "nudge"
	var setUpdate, other = "set", "x"
	_, _, _ = nudgeSignal, setUpdate, other
}
