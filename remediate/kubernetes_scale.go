package remediate

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// KubeScaleReadInput names the workload whose replica count is read.
type KubeScaleReadInput struct {
	Target KubeTarget // a Deployment or StatefulSet
}

// KubeScaleState is a workload's replica count as read before acting;
// the workflow resolves "+N" and "+P%" once from it and records it for
// KubeScaleRestore.
type KubeScaleState struct {
	Target   KubeTarget // the workload read, kind normalised
	Replicas int32      // spec.replicas through the scale subresource
}

// KubeScaleApplyInput asks for an absolute replica count.
type KubeScaleApplyInput struct {
	Target   KubeTarget // a Deployment or StatefulSet
	Replicas int32      // the desired spec.replicas, 0..MaxKubeReplicas
}

// KubeScaleResult records what KubeScaleApply or KubeScaleRestore did.
type KubeScaleResult struct {
	Target   KubeTarget // the workload scaled
	Prior    int32      // spec.replicas just before this activity
	Replicas int32      // spec.replicas after it
	Changed  bool       // false when it already was Replicas and nothing was written
}

// KubeScaleRead reads the target's replica count from its scale
// subresource (RBAC: deployments/scale or statefulsets/scale get).
func (a *KubeActivities) KubeScaleRead(ctx context.Context, in KubeScaleReadInput) (KubeScaleState, error) {
	op := "kubernetes scale read"
	t, err := validateTarget(op, in.Target, KindDeployment, KindStatefulSet)
	if err != nil {
		return KubeScaleState{}, err
	}
	op = fmt.Sprintf("kubernetes scale read %s", t)
	s, err := a.getScale(ctx, op, t)
	if err != nil {
		return KubeScaleState{}, err
	}
	return KubeScaleState{Target: t, Replicas: s.Spec.Replicas}, nil
}

// KubeScaleApply sets the target's spec.replicas to in.Replicas through the
// scale subresource (RBAC: get and update on deployments/scale or
// statefulsets/scale). It is idempotent: when the count already is
// in.Replicas nothing is written, so a retried or replayed apply can never
// scale twice. A conflicting concurrent write is re-read and retried.
func (a *KubeActivities) KubeScaleApply(ctx context.Context, in KubeScaleApplyInput) (KubeScaleResult, error) {
	op := "kubernetes scale"
	t, err := validateTarget(op, in.Target, KindDeployment, KindStatefulSet)
	if err != nil {
		return KubeScaleResult{}, err
	}
	if in.Replicas < 0 || in.Replicas > MaxKubeReplicas {
		return KubeScaleResult{}, invalidInput(op, "%s: replicas %d outside 0..%d", t, in.Replicas, MaxKubeReplicas)
	}
	return a.setScale(ctx, fmt.Sprintf("kubernetes scale %s to %d", t, in.Replicas), t, in.Replicas)
}

// KubeScaleRestore returns the target to the replica count KubeScaleRead
// recorded; like KubeScaleApply it is idempotent.
func (a *KubeActivities) KubeScaleRestore(ctx context.Context, prior KubeScaleState) (KubeScaleResult, error) {
	return a.KubeScaleApply(ctx, KubeScaleApplyInput(prior))
}

// setScale writes replicas unless already set, retrying conflicts with a
// fresh read.
func (a *KubeActivities) setScale(ctx context.Context, op string, t KubeTarget, replicas int32) (KubeScaleResult, error) {
	res := KubeScaleResult{Target: t, Replicas: replicas}
	first := true
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		s, err := a.getScale(ctx, op, t)
		if err != nil {
			return err
		}
		if first {
			res.Prior = s.Spec.Replicas
			first = false
		}
		if s.Spec.Replicas == replicas {
			return nil
		}
		s.Spec.Replicas = replicas
		if err := a.updateScale(ctx, t, s); err != nil {
			return err
		}
		res.Changed = true
		return nil
	})
	if err != nil {
		return KubeScaleResult{}, kubeError(op, err)
	}
	if res.Changed {
		a.logger().Info("kubernetes scaled", "target", t.String(), "prior", res.Prior, "replicas", replicas)
	} else {
		a.logger().Info("kubernetes scale already at target", "target", t.String(), "replicas", replicas)
	}
	return res, nil
}

// getScale reads the scale subresource; API errors are returned raw so
// RetryOnConflict can recognise conflicts, and classified by the caller.
func (a *KubeActivities) getScale(ctx context.Context, op string, t KubeTarget) (*autoscalingv1.Scale, error) {
	c, err := a.client(op)
	if err != nil {
		return nil, err
	}
	var s *autoscalingv1.Scale
	if t.Kind == KindStatefulSet {
		s, err = c.AppsV1().StatefulSets(t.Namespace).GetScale(ctx, t.Name, metav1.GetOptions{})
	} else {
		s, err = c.AppsV1().Deployments(t.Namespace).GetScale(ctx, t.Name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, kubeError(op, err)
	}
	return s, nil
}

// updateScale writes the scale subresource, with s's resourceVersion as
// the optimistic-concurrency precondition.
func (a *KubeActivities) updateScale(ctx context.Context, t KubeTarget, s *autoscalingv1.Scale) error {
	var err error
	if t.Kind == KindStatefulSet {
		_, err = a.Client.AppsV1().StatefulSets(t.Namespace).UpdateScale(ctx, t.Name, s, metav1.UpdateOptions{})
	} else {
		_, err = a.Client.AppsV1().Deployments(t.Namespace).UpdateScale(ctx, t.Name, s, metav1.UpdateOptions{})
	}
	return err
}
