// Package plain neither imports Temporal nor uses contract-like names: the
// same spelling here is a different word (an HCL variable, a label).
package plain

const (
	varPoke = "poke"
	label   = "bar"
)
