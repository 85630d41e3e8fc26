// Package runbooks is the firebreak runbook language: it parses one runbook
// per HCL file, checks it statically, and evaluates its expressions against
// an alert and its diagnoses.
//
// Parsing is a pure function of a file name and its bytes, and evaluation
// uses no clock, no randomness and no I/O, because the incident workflow
// parses and evaluates the pinned runbook source inside a Temporal workflow,
// where every replay must reach the same result. Only LoadPaths reads files.
package runbooks
