package archtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContractName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"ControlWorkflowName", true},
		{"TargetWorkflowID", true},
		{"legacyControlWorkflowID", true},
		{"SignalAlert", true},
		{"signalAcquire", true},
		{"QueryState", true},
		{"queryState", true},
		{"UpdatePause", true},
		{"updatePause", true},
		{"targetIDPrefix", true},
		{"ControlSignalAcquire", false}, // the prefix must lead: not a contract constant of workflows
		{"DefaultTaskQueue", false},
		{"maxPermits", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ContractName.MatchString(tt.name))
		})
	}
}

func TestLoadContract(t *testing.T) {
	c, err := LoadContract(filepath.Join("testdata", "contract", "workflows"))
	require.NoError(t, err)
	assert.Equal(t, Contract{
		"Foo":      {"FooWorkflowName"},
		"foo/":     {"fooIDPrefix"},
		"foo/main": {"FooWorkflowID"}, // resolved through fooIDPrefix
		"poke":     {"SignalPoke"},
		"nudge":    {"signalNudge"},
		"bar":      {"QueryBar"},
		"set":      {"UpdateSet"},
	}, c, "notContract and the test file's constant are not part of the contract")

	_, err = LoadContract(t.TempDir())
	assert.ErrorContains(t, err, "no Go files")
}

// TestCheckContract runs the checker over testdata/contract, a mini-tree
// with one violation of each kind and the places the walk must skip
// (test files, testdata, a nested module, a hidden directory), and over
// testdata/contract_ok, which uses the contract only through its constants.
func TestCheckContract(t *testing.T) {
	type want struct {
		at   string // file:line:col
		what string // a fragment of the message
	}
	tests := []struct {
		tree string
		want []want
	}{
		{tree: "contract_ok"},
		{tree: "contract", want: []want{
			// (b): literals as names in Temporal calls.
			{"calls/calls.go:10:40", `signal name "poke" spelled as a literal in SignalWorkflow argument: use workflows.SignalPoke`},
			{"calls/calls.go:11:33", `signal name "unknown" spelled as a literal in SignalWorkflow argument: declare it in package workflows`},
			{"calls/calls.go:13:37", `signal name "poke" spelled as a literal in SignalWithStartWorkflow`},
			{"calls/calls.go:13:56", `workflow name "Foo" spelled as a literal in SignalWithStartWorkflow argument: use workflows.FooWorkflowName`},
			{"calls/calls.go:15:31", `query name "bar" spelled as a literal in QueryWorkflow`},
			{"calls/calls.go:16:31", `workflow name "Foo" spelled as a literal in ExecuteWorkflow`},
			{"calls/calls.go:18:89", `update name "set" spelled as a literal in UpdateWorkflowOptions.UpdateName`},
			{"calls/calls.go:22:40", `update name "set" spelled as a literal in UpdateWorkflowOptions.UpdateName`},
			{"calls/calls.go:23:37", `signal name "nudge" spelled as a literal in GetSignalChannel argument: it is workflows.signalNudge, unexported`},
			{"calls/calls.go:24:36", `query name "bar" spelled as a literal in SetQueryHandler`},
			{"calls/calls.go:25:37", `update name "set" spelled as a literal in SetUpdateHandler argument`},
			{"calls/calls.go:26:48", `update name "set" spelled as a literal in SetUpdateHandlerWithOptions`},
			{"calls/calls.go:27:51", `signal name "poke" spelled as a literal in SignalExternalWorkflow`},
			{"calls/calls.go:28:41", `workflow name "Foo" spelled as a literal in ExecuteChildWorkflow`},
			{"calls/calls.go:29:42", `workflow name "Foo" spelled as a literal in NewContinueAsNewError`},
			{"calls/calls.go:30:37", `workflow name "Foo" spelled as a literal in workflow.RegisterOptions.Name`},
			// (a): re-declarations under contract-like names.
			{"dup/dup.go:5:2", `const FooWorkflowName = "Foo" re-declares workflows.FooWorkflowName: a workflow's durable contract is declared once, beside it (rule (a) "contract declared once")`},
			{"dup/dup.go:6:2", `const PokeSignal = "poke" re-declares workflows.SignalPoke`},
			{"dup/dup.go:7:2", `const fooIDPrefix = "foo/" re-declares workflows.fooIDPrefix`},
			{"dup/dup.go:9:2", `const FooWorkflowID = "foo/main" re-declares workflows.FooWorkflowID`},
			{"dup/dup.go:14:5", `var barQuery = "bar" re-declares workflows.QueryBar`},
			{"dup/dup.go:17:8", `const nudgeSignal = "nudge" re-declares workflows.signalNudge`},
			{"dup/dup.go:18:6", `var setUpdate = "set" re-declares workflows.UpdateSet`},
			// (a): any name, in a package that imports the Temporal SDK.
			{"temporalpkg/temporalpkg.go:8:2", `const poke = "poke" re-declares workflows.SignalPoke`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			root, err := filepath.Abs(filepath.Join("testdata", tt.tree))
			require.NoError(t, err)
			wf := filepath.Join(root, "workflows")
			c, err := LoadContract(wf)
			require.NoError(t, err)
			got, err := CheckContract(root, wf, c)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want), "findings:\n%v", got)
			for i, w := range tt.want {
				t.Run(w.at, func(t *testing.T) {
					f := got[i]
					assert.Equal(t, w.at, f.String()[:len(w.at)])
					assert.Contains(t, f.What, w.what)
				})
			}
		})
	}
}

func TestCheckContractParseError(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"workflows/w.go": "package workflows\n\nconst SignalGo = \"go\"\n",
		"broken/b.go":    "package broken\n\nconst (\n",
		"broken/ok.go":   "package broken\n\nconst goSignal = \"go\"\n",
	}
	for name, body := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	}
	c, err := LoadContract(filepath.Join(root, "workflows"))
	require.NoError(t, err)
	got, err := CheckContract(root, filepath.Join(root, "workflows"), c)
	assert.ErrorContains(t, err, "check contract: parse: ")
	assert.ErrorContains(t, err, "b.go")
	require.Len(t, got, 1, "the files that parse are still checked")
	assert.Equal(t, "broken/ok.go", got[0].File)
}
