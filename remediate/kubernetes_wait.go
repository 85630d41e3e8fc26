package remediate

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// rolloutPollInterval is how often KubeRolloutWait reads the workload's
// status, and so how often it heartbeats.
const rolloutPollInterval = 500 * time.Millisecond

// MaxRolloutWait bounds KubeRolloutWaitInput.Timeout; the activity's
// StartToCloseTimeout must exceed the timeout asked for.
const MaxRolloutWait = 30 * time.Minute

// KubeRolloutWaitInput asks to wait for a workload's rollout.
type KubeRolloutWaitInput struct {
	Target  KubeTarget    // a Deployment or StatefulSet
	Timeout time.Duration // how long to wait, 1s..MaxRolloutWait
}

// KubeRolloutStatus is a workload's rollout progress as last read.
type KubeRolloutStatus struct {
	Target   KubeTarget    // the workload
	Complete bool          // the controller saw the latest spec and every replica is updated, ready and current
	Desired  int32         // spec.replicas
	Updated  int32         // replicas running the latest template
	Ready    int32         // ready replicas
	Total    int32         // all replicas, old ones included
	Waited   time.Duration // how long the activity waited
}

// KubeRolloutWait polls the target until its rollout is complete or
// in.Timeout passes, heartbeating on every poll so a lost worker is noticed
// within the heartbeat timeout (RBAC: get on deployments or statefulsets).
// A timeout is not an error: the result says Complete=false and the
// workflow's verification decides.
func (a *KubeActivities) KubeRolloutWait(ctx context.Context, in KubeRolloutWaitInput) (KubeRolloutStatus, error) {
	op := "kubernetes rollout wait"
	t, err := validateTarget(op, in.Target, KindDeployment, KindStatefulSet)
	if err != nil {
		return KubeRolloutStatus{}, err
	}
	if in.Timeout < time.Second || in.Timeout > MaxRolloutWait {
		return KubeRolloutStatus{}, invalidInput(op, "%s: timeout %s outside 1s..%s", t, in.Timeout, MaxRolloutWait)
	}
	op = fmt.Sprintf("%s %s", op, t)
	c, err := a.client(op)
	if err != nil {
		return KubeRolloutStatus{}, err
	}
	start := time.Now()
	deadline := start.Add(in.Timeout)
	ticker := time.NewTicker(rolloutPollInterval)
	defer ticker.Stop()
	for {
		st := KubeRolloutStatus{Target: t}
		if t.Kind == KindStatefulSet {
			s, err := c.AppsV1().StatefulSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
			if err != nil {
				return KubeRolloutStatus{}, kubeError(op, err)
			}
			st.Desired = derefReplicas(s.Spec.Replicas)
			st.Updated, st.Ready, st.Total = s.Status.UpdatedReplicas, s.Status.ReadyReplicas, s.Status.Replicas
			st.Complete = s.Status.ObservedGeneration >= s.Generation && st.Updated == st.Desired &&
				st.Ready == st.Desired && st.Total == st.Desired &&
				(s.Status.UpdateRevision == "" || s.Status.CurrentRevision == s.Status.UpdateRevision)
		} else {
			d, err := c.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
			if err != nil {
				return KubeRolloutStatus{}, kubeError(op, err)
			}
			st.Desired = derefReplicas(d.Spec.Replicas)
			st.Updated, st.Ready, st.Total = d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.Replicas
			st.Complete = d.Status.ObservedGeneration >= d.Generation && st.Updated == st.Desired &&
				st.Ready == st.Desired && st.Total == st.Desired
		}
		st.Waited = time.Since(start)
		activity.RecordHeartbeat(ctx, st)
		if st.Complete || time.Now().After(deadline) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return KubeRolloutStatus{}, fmt.Errorf("%s: %w", op, ctx.Err())
		case <-ticker.C:
		}
	}
}

// derefReplicas is spec.replicas with the API's default of 1.
func derefReplicas(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}
