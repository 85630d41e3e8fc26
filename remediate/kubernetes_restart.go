package remediate

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// RestartedAtAnnotation is the pod-template annotation `kubectl rollout
// restart` sets; changing it rolls every pod of the workload.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// KubeRestartReadInput names the workload to restart.
type KubeRestartReadInput struct {
	Target KubeTarget // a Deployment or StatefulSet
}

// KubeRestartState is the restart annotation before acting, recorded for
// KubeRestartRestore.
type KubeRestartState struct {
	Target      KubeTarget // the workload read, kind normalised
	RestartedAt string     // the annotation's value; "" when Present is false
	Present     bool       // whether the template carried the annotation
}

// KubeRestartApplyInput asks for a rollout restart stamped RestartedAt.
type KubeRestartApplyInput struct {
	Target KubeTarget // a Deployment or StatefulSet
	// RestartedAt is the annotation value, an RFC 3339 time chosen by the
	// workflow (workflow.Now) and passed in, so a retried activity sets the
	// same value and restarts the pods once.
	RestartedAt string
}

// KubeRestartResult records what KubeRestartApply or KubeRestartRestore
// did.
type KubeRestartResult struct {
	Target      KubeTarget // the workload
	Prior       string     // the annotation before this activity ("" when absent)
	PriorAbsent bool       // the annotation was absent before this activity
	RestartedAt string     // the annotation after it ("" when removed)
	Changed     bool       // false when nothing had to be written
}

// KubeRestartRead reads the target's restart annotation (RBAC: get on
// deployments or statefulsets).
func (a *KubeActivities) KubeRestartRead(ctx context.Context, in KubeRestartReadInput) (KubeRestartState, error) {
	op := "kubernetes restart read"
	t, err := validateTarget(op, in.Target, KindDeployment, KindStatefulSet)
	if err != nil {
		return KubeRestartState{}, err
	}
	tmpl, err := a.readTemplate(ctx, fmt.Sprintf("%s %s", op, t), t)
	if err != nil {
		return KubeRestartState{}, err
	}
	v, ok := tmpl.Annotations[RestartedAtAnnotation]
	return KubeRestartState{Target: t, RestartedAt: v, Present: ok}, nil
}

// KubeRestartApply performs a rollout restart by setting the pod template's
// restartedAt annotation to in.RestartedAt (RBAC: get and update on
// deployments or statefulsets). Setting a value that is already there
// writes nothing, so a retry does not restart the pods again.
func (a *KubeActivities) KubeRestartApply(ctx context.Context, in KubeRestartApplyInput) (KubeRestartResult, error) {
	op := "kubernetes restart"
	t, err := validateTarget(op, in.Target, KindDeployment, KindStatefulSet)
	if err != nil {
		return KubeRestartResult{}, err
	}
	if _, err := time.Parse(time.RFC3339, in.RestartedAt); err != nil {
		return KubeRestartResult{}, invalidInput(op, "%s: restartedAt %q is not an RFC 3339 time", t, in.RestartedAt)
	}
	return a.setRestartedAt(ctx, fmt.Sprintf("kubernetes restart %s", t), t, in.RestartedAt, true)
}

// KubeRestartRestore puts the restart annotation back as KubeRestartRead
// recorded it, removing it when it was absent. Changing the annotation
// rolls the pods once more: restoring the annotation does not bring the old
// pods back, it only makes the template equal to the recorded one.
func (a *KubeActivities) KubeRestartRestore(ctx context.Context, prior KubeRestartState) (KubeRestartResult, error) {
	op := "kubernetes restart restore"
	t, err := validateTarget(op, prior.Target, KindDeployment, KindStatefulSet)
	if err != nil {
		return KubeRestartResult{}, err
	}
	return a.setRestartedAt(ctx, fmt.Sprintf("%s %s", op, t), t, prior.RestartedAt, prior.Present)
}

// setRestartedAt makes the annotation equal value (present) or absent.
func (a *KubeActivities) setRestartedAt(ctx context.Context, op string, t KubeTarget, value string, present bool) (KubeRestartResult, error) {
	res := KubeRestartResult{Target: t}
	if present {
		res.RestartedAt = value
	}
	first := true
	changed, err := a.updateTemplate(ctx, op, t, func(tmpl *corev1.PodTemplateSpec) (bool, error) {
		cur, ok := tmpl.Annotations[RestartedAtAnnotation]
		if first {
			res.Prior, res.PriorAbsent, first = cur, !ok, false
		}
		if !present {
			if !ok {
				return false, nil
			}
			delete(tmpl.Annotations, RestartedAtAnnotation)
			return true, nil
		}
		if ok && cur == value {
			return false, nil
		}
		if tmpl.Annotations == nil {
			tmpl.Annotations = map[string]string{}
		}
		tmpl.Annotations[RestartedAtAnnotation] = value
		return true, nil
	})
	if err != nil {
		return KubeRestartResult{}, err
	}
	res.Changed = changed
	a.logger().Info("kubernetes restart annotation", "target", t.String(), "prior", res.Prior,
		"restartedAt", res.RestartedAt, "present", present, "changed", changed)
	return res, nil
}
