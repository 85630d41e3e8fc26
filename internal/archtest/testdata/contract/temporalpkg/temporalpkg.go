// Package temporalpkg imports the Temporal SDK, so any declaration of a
// contract string in it is a copy of the contract.
package temporalpkg

import "go.temporal.io/sdk/client"

const (
	poke  = "poke"
	alert = "alert" // not a contract string
)

var _ client.Client
