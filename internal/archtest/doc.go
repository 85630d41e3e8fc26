// Package archtest holds firebreak's architecture tests. They exist because
// the shape of the code is a property the compiler does not check: imports
// must run only downstream (cmd → cli → engine → intake/approvals/guard →
// activities → workflows → diagnose/remediate/escalate → integrations and
// leaves), a workflow's durable contract (its registered name, its workflow
// ID scheme, its signal, query and update names) must be declared once,
// beside the workflow, and `firebreak validate`/`fmt` must not link the
// clients of the systems they never talk to. Each of these erodes one
// innocent-looking import or string literal at a time, and a violation is
// cheap to fix the day it is introduced and expensive a year later — a
// renamed signal that one caller still spells the old way is silently
// dropped by Temporal, and a replayed history fails on a renamed workflow.
//
// The non-test files hold the checkers, which are pure functions of their
// input (a package list from `go list`, a tree of Go source files) so that
// their own tests can feed them synthetic violations. The rules themselves
// are tables in arch_test.go.
package archtest
