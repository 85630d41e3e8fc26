package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/remediate"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// krem names the Kubernetes activities; the worker registers a real
// *remediate.KubeActivities under the same names.
var krem *remediate.KubeActivities

// The Kubernetes action kinds. Each is a read activity that records the
// target's prior state (from which relative amounts are resolved, once), a
// decision made in the workflow from that state, an apply activity that
// sets an absolute desired state, and the restore activity that puts the
// prior state back. Their ledger key is the object's (TargetRef.Key), so two
// runbooks that act on one Deployment share one ledger.
func init() {
	registerAction(runbooks.KindKubeScale, kubeKind[remediate.KubeScaleState, remediate.KubeScaleResult]{
		spec: func(s runbooks.KubeActionSpec) string { return amountSpec(s.Set, s.Min, s.Max) },
		read: krem.KubeScaleRead,
		readInput: func(s runbooks.KubeActionSpec) any {
			return remediate.KubeScaleReadInput{Target: kubeTarget(s.Target)}
		},
		decide: func(_ workflow.Context, s runbooks.KubeActionSpec, st remediate.KubeScaleState, ar *incident.ActionRecord) any {
			ar.Prior = int64(st.Replicas)
			ar.Planned = min(s.Set.Apply(ar.Prior, s.Min, s.Max), remediate.MaxKubeReplicas)
			ar.Before, ar.After = fmt.Sprintf("replicas %d", ar.Prior), fmt.Sprintf("replicas %d", ar.Planned)
			return remediate.KubeScaleApplyInput{Target: st.Target, Replicas: int32(ar.Planned)}
		},
		apply:   krem.KubeScaleApply,
		changed: func(r remediate.KubeScaleResult) bool { return r.Changed },
		restore: krem.KubeScaleRestore,
	})
	registerAction(runbooks.KindKubeRestart, kubeKind[remediate.KubeRestartState, remediate.KubeRestartResult]{
		read: krem.KubeRestartRead,
		readInput: func(s runbooks.KubeActionSpec) any {
			return remediate.KubeRestartReadInput{Target: kubeTarget(s.Target)}
		},
		decide: func(ctx workflow.Context, _ runbooks.KubeActionSpec, st remediate.KubeRestartState, ar *incident.ActionRecord) any {
			// The stamp comes from workflow time, so a retried apply sets
			// the same value and the pods roll once.
			stamp := workflow.Now(ctx).UTC().Format(time.RFC3339)
			ar.Before, ar.After = "restartedAt "+orNone(st.RestartedAt), "restartedAt "+stamp
			return remediate.KubeRestartApplyInput{Target: st.Target, RestartedAt: stamp}
		},
		apply:   krem.KubeRestartApply,
		changed: func(r remediate.KubeRestartResult) bool { return r.Changed },
		restore: krem.KubeRestartRestore,
	})
	registerAction(runbooks.KindKubeRollback, kubeKind[remediate.KubeRollbackState, remediate.KubeRollbackResult]{
		read: krem.KubeRollbackRead,
		readInput: func(s runbooks.KubeActionSpec) any {
			return remediate.KubeRollbackReadInput{Target: kubeTarget(s.Target)}
		},
		decide: func(_ workflow.Context, _ runbooks.KubeActionSpec, st remediate.KubeRollbackState, ar *incident.ActionRecord) any {
			ar.Prior, ar.Planned = st.Current.Revision, st.Previous.Revision
			ar.Before = fmt.Sprintf("revision %d (%s)", st.Current.Revision, imageList(st.Current.Images))
			ar.After = fmt.Sprintf("template of revision %d (%s)", st.Previous.Revision, imageList(st.Previous.Images))
			return remediate.KubeRollbackApplyInput{Target: st.Target, Template: st.Previous}
		},
		apply:   krem.KubeRollbackApply,
		changed: func(r remediate.KubeRollbackResult) bool { return r.Changed },
		restore: krem.KubeRollbackRestore,
	})
	// A deleted pod cannot come back (its replacement is a new pod): no
	// restore, and runbooks.Action.CanRestore says so to validate.
	registerAction(runbooks.KindKubeDeletePod, kubeKind[remediate.KubePodChoice, remediate.KubeDeletePodResult]{
		read: krem.KubeDeletePodRead,
		readInput: func(s runbooks.KubeActionSpec) any {
			return remediate.KubeDeletePodReadInput{Target: kubeTarget(s.Target)}
		},
		decide: func(_ workflow.Context, _ runbooks.KubeActionSpec, st remediate.KubePodChoice, ar *incident.ActionRecord) any {
			ar.Before = fmt.Sprintf("pod %s (ready=%t, %d restarts; worst of %d)", st.Pod, st.Ready, st.Restarts, st.Candidates)
			ar.After = "pod " + st.Pod + " deleted"
			return remediate.KubeDeletePodInput{Namespace: st.Namespace, Pod: st.Pod, UID: st.UID}
		},
		apply:   krem.KubeDeletePodApply,
		changed: func(r remediate.KubeDeletePodResult) bool { return r.Deleted },
	})
	registerAction(runbooks.KindKubeSetEnv, kubeKind[remediate.KubeEnvState, remediate.KubeEnvResult]{
		read: krem.KubeSetEnvRead,
		readInput: func(s runbooks.KubeActionSpec) any {
			return remediate.KubeEnvReadInput{Target: kubeTarget(s.Target), Container: s.Container, Name: s.Name}
		},
		decide: func(_ workflow.Context, s runbooks.KubeActionSpec, st remediate.KubeEnvState, ar *incident.ActionRecord) any {
			ar.Before = fmt.Sprintf("%s/%s=%s", st.Container, st.Name, envText(st))
			ar.After = fmt.Sprintf("%s/%s=%q", st.Container, st.Name, s.Value)
			return remediate.KubeSetEnvInput{Target: st.Target, Container: st.Container, Name: s.Name, Value: s.Value}
		},
		apply:   krem.KubeSetEnvApply,
		changed: func(r remediate.KubeEnvResult) bool { return r.Changed },
		restore: krem.KubeSetEnvRestore,
	})
	registerAction(runbooks.KindKubePatchConfigMap, kubeKind[remediate.KubeConfigMapState, remediate.KubeConfigMapResult]{
		read: krem.KubeConfigMapRead,
		readInput: func(s runbooks.KubeActionSpec) any {
			return remediate.KubeConfigMapKeyInput{Namespace: s.Target.Namespace, Name: s.Target.Name, Key: s.Key}
		},
		decide: func(_ workflow.Context, s runbooks.KubeActionSpec, st remediate.KubeConfigMapState, ar *incident.ActionRecord) any {
			ar.Before = s.Key + "=" + orNone(quoteIf(st.Present, st.Value))
			ar.After = fmt.Sprintf("%s=%q", s.Key, s.Value)
			return remediate.KubeConfigMapSetInput{Namespace: st.Namespace, Name: st.Name, Key: st.Key, Value: s.Value}
		},
		apply:   krem.KubeConfigMapApply,
		changed: func(r remediate.KubeConfigMapResult) bool { return r.Changed },
		restore: krem.KubeConfigMapRestore,
	})
}

// kubeKind is one Kubernetes action kind: S is the state its read activity
// returns (and its restore activity takes), R its apply activity's result.
type kubeKind[S, R any] struct {
	spec      func(runbooks.KubeActionSpec) string // the parameters for the record; nil: none
	read      any                                  // the read activity
	readInput func(runbooks.KubeActionSpec) any
	// decide records the change in ar and returns the apply activity's
	// input, from the spec and the state read.
	decide  func(workflow.Context, runbooks.KubeActionSpec, S, *incident.ActionRecord) any
	apply   any // the apply activity
	changed func(R) bool
	restore any // the restore activity, taking S; nil when the kind cannot be undone
}

func (k kubeKind[S, R]) plan(a *runbooks.Action, s *runbooks.Scope) (actionStep, error) {
	spec, err := a.Kube(s)
	if err != nil {
		return nil, err
	}
	return &kubeStep[S, R]{kind: k, s: spec}, nil
}

// kubeStep is one planned Kubernetes action.
type kubeStep[S, R any] struct {
	kind    kubeKind[S, R]
	s       runbooks.KubeActionSpec
	applyIn any // decided by read
}

func (k *kubeStep[S, R]) ledger() string { return k.s.Target.Key() }

func (k *kubeStep[S, R]) spec() string {
	if k.kind.spec == nil {
		return ""
	}
	return k.kind.spec(k.s)
}

func (k *kubeStep[S, R]) read(ctx workflow.Context, ar *incident.ActionRecord) (priorState, error) {
	var st S
	// The action's own read has the apply's budget, not a diagnosis
	// query's: it is one or two API calls, so a worker killed in it is
	// noticed within 10 s, and five attempts keep a crash-looping worker
	// (TestKubeCrash kills one every few seconds) from escalating an
	// incident whose every read attempt happened to die with it.
	if err := workflow.ExecuteActivity(kubeMutateOpts(ctx), k.kind.read, k.kind.readInput(k.s)).Get(ctx, &st); err != nil {
		return nil, err
	}
	k.applyIn = k.kind.decide(ctx, k.s, st, ar)
	if k.kind.restore == nil {
		return nil, nil
	}
	return kubePrior[S]{restoreActivity: k.kind.restore, state: st}, nil
}

func (k *kubeStep[S, R]) apply(ctx workflow.Context) (bool, error) {
	var res R
	if err := workflow.ExecuteActivity(kubeMutateOpts(ctx), k.kind.apply, k.applyIn).Get(ctx, &res); err != nil {
		return false, err
	}
	return k.kind.changed(res), nil
}

func (k *kubeStep[S, R]) rollout() (remediate.KubeTarget, time.Duration) {
	return kubeTarget(k.s.Target), k.s.Wait
}

// kubePrior is a Kubernetes object's state as read before an action, with
// the activity that puts it back.
type kubePrior[S any] struct {
	restoreActivity any
	state           S
}

func (p kubePrior[S]) restore(ctx workflow.Context) error {
	return workflow.ExecuteActivity(kubeMutateOpts(ctx), p.restoreActivity, p.state).Get(ctx, nil)
}

func kubeTarget(t runbooks.TargetRef) remediate.KubeTarget {
	return remediate.KubeTarget{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name}
}

func imageList(images []remediate.KubeContainerImage) string {
	parts := make([]string, 0, len(images))
	for _, i := range images {
		parts = append(parts, i.Container+"="+i.Image)
	}
	return strings.Join(parts, ", ")
}

func envText(st remediate.KubeEnvState) string {
	switch {
	case !st.Present:
		return "(unset)"
	case st.ValueFrom != nil:
		return "(from a reference)"
	}
	return fmt.Sprintf("%q", st.Value)
}

func quoteIf(present bool, v string) string {
	if !present {
		return ""
	}
	return fmt.Sprintf("%q", v)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
