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
	blockTarget     = "target"

	// KindPgBouncerPoolSize is the action kind that sets a PgBouncer pool size.
	KindPgBouncerPoolSize = "pgbouncer_pool_size"
	// KindKubeScale is the action kind that sets a workload's replica count.
	KindKubeScale = "kubernetes_scale"
	// KindKubeRestart is the action kind that restarts a workload's pods
	// with a rolling update.
	KindKubeRestart = "kubernetes_restart"
	// KindKubeRollback is the action kind that returns a Deployment to its
	// previous revision.
	KindKubeRollback = "kubernetes_rollback"
	// KindKubeDeletePod is the action kind that deletes one pod of a
	// workload; it is the one action that cannot be restored.
	KindKubeDeletePod = "kubernetes_delete_pod"
	// KindKubeSetEnv is the action kind that sets an environment variable
	// in a workload's pod template.
	KindKubeSetEnv = "kubernetes_set_env"
	// KindKubePatchConfigMap is the action kind that sets one key of a
	// ConfigMap.
	KindKubePatchConfigMap = "kubernetes_patch_configmap"

	// DiagnoseKubeRollout is the diagnosis source that reads a workload's
	// rollout, pods, events and logs.
	DiagnoseKubeRollout = "kubernetes_rollout"

	attrDescription  = "description"
	attrOwner        = "owner"
	attrMatch        = "match"
	attrGroupBy      = "group_by"
	attrEscalateWhen = "escalate_when"
	attrWhen         = "when"
	attrSlackChannel = "slack_channel"
	attrClassify     = "classify"
	attrTarget       = "target"

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
		{Type: blockTarget, LabelNames: []string{labelName}},
		{Type: blockDiagnose, LabelNames: []string{labelName}},
		{Type: blockRemediate, LabelNames: []string{labelName}},
		{Type: blockEscalate},
		{Type: blockGuardrails},
	},
}

// diagnoseSchema lists the diagnosis sources; a diagnose block holds exactly
// one of them. classify sits beside the source because it is about what the
// engine does with the result (classify log lines), not how to read it.
var diagnoseSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: attrClassify},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockPrometheus},
		{Type: DiagnoseKubeRollout},
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
		{Type: KindKubeScale},
		{Type: KindKubeRestart},
		{Type: KindKubeRollback},
		{Type: KindKubeDeletePod},
		{Type: KindKubeSetEnv},
		{Type: KindKubePatchConfigMap},
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

// ActionKinds lists every action kind the language accepts, in schema
// order; an engine must be able to run each (the workflow's action table).
func ActionKinds() []string { return blockTypes(actionSchema) }

// DiagnosisSources lists every diagnosis source the language accepts.
func DiagnosisSources() []string { return blockTypes(diagnoseSchema) }

func blockTypes(s *hcl.BodySchema) []string {
	out := make([]string, 0, len(s.Blocks))
	for _, b := range s.Blocks {
		out = append(out, b.Type)
	}
	return out
}
