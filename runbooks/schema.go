package runbooks

import "github.com/hashicorp/hcl/v2"

// Block and attribute names of the language. The schemas below are built
// from these names so that a typo is a compile error, not a silently ignored
// block.
const (
	blockRunbook    = "runbook"
	blockDiagnose   = "diagnose"
	blockPrometheus = "prometheus"
	blockRemediate  = "remediate"
	blockAction     = "action"
	blockVerify     = "verify"
	blockEscalate   = "escalate"
	blockLog        = "log"
	blockSlack      = "slack"
	blockPagerDuty  = "pagerduty"
	blockApproval   = "approval"
	blockGuardrails = "guardrails"

	// KindPgBouncerPoolSize is the action kind that sets a PgBouncer pool size.
	KindPgBouncerPoolSize = "pgbouncer_pool_size"

	attrDescription  = "description"
	attrOwner        = "owner"
	attrMatch        = "match"
	attrGroupBy      = "group_by"
	attrEscalateWhen = "escalate_when"
	attrWhen         = "when"
	attrSlackChannel = "slack_channel"

	labelName = "name"
)

// fileSchema is the top level of a runbook file: runbook blocks only, so that
// anything else is reported as an unsupported block or argument.
var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockRunbook, LabelNames: []string{labelName}},
	},
}

// runbookSchema is the body of a runbook block.
var runbookSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: attrDescription},
		{Name: attrOwner},
		{Name: attrMatch, Required: true},
		{Name: attrGroupBy},
		{Name: attrEscalateWhen},
		{Name: attrSlackChannel},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockDiagnose, LabelNames: []string{labelName}},
		{Type: blockRemediate, LabelNames: []string{labelName}},
		{Type: blockEscalate},
		{Type: blockGuardrails},
	},
}

// diagnoseSchema lists the diagnosis sources; a diagnose block holds exactly
// one of them.
var diagnoseSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockPrometheus},
	},
}

// remediateSchema is the body of a remediate block.
var remediateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: attrWhen},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockAction, LabelNames: []string{labelName}},
		{Type: blockVerify},
		{Type: blockApproval},
	},
}

// actionSchema lists the action kinds; an action block holds exactly one.
var actionSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: KindPgBouncerPoolSize},
	},
}

// escalateSchema lists the escalation sinks.
var escalateSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockLog},
		{Type: blockSlack},
		{Type: blockPagerDuty},
	},
}
