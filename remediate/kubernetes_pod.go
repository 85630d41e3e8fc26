package remediate

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/firebreak-dev/firebreak/integrations/kube"
)

// KubeDeletePodReadInput names the workload one of whose pods is deleted.
type KubeDeletePodReadInput struct {
	Target KubeTarget // a Deployment or StatefulSet
}

// KubePodChoice is the pod KubeDeletePodRead chose, recorded so the delete
// targets exactly that pod however often it is retried.
type KubePodChoice struct {
	Target     KubeTarget // the workload
	Namespace  string     // the pod's namespace
	Pod        string     // the pod's name
	UID        string     // the pod's UID: the delete's precondition
	Ready      bool       // whether it was Ready
	Restarts   int32      // its containers' restarts
	Created    time.Time  // its creation time
	Candidates int        // how many pods of the target were considered
}

// KubeDeletePodInput names exactly one pod instance to delete.
type KubeDeletePodInput struct {
	Namespace string // a DNS-1123 label
	Pod       string // the pod's name
	UID       string // the pod's UID; a pod of the same name and another UID is left alone
}

// KubeDeletePodResult records what KubeDeletePodApply did.
type KubeDeletePodResult struct {
	Namespace string // the pod's namespace
	Pod       string // the pod's name
	UID       string // the UID deleted
	Deleted   bool   // false when that pod instance was already gone
}

// KubeDeletePodRead picks the worst pod of the target: not Ready first,
// then most restarts, then oldest, then by name (RBAC: get on deployments
// or statefulsets, list on replicasets and pods). Pods already being
// deleted are not considered. It has no Restore: the workload's controller
// replaces the deleted pod, and a deleted pod cannot be brought back.
func (a *KubeActivities) KubeDeletePodRead(ctx context.Context, in KubeDeletePodReadInput) (KubePodChoice, error) {
	op := "kubernetes delete pod read"
	t, err := validateTarget(op, in.Target, KindDeployment, KindStatefulSet)
	if err != nil {
		return KubePodChoice{}, err
	}
	op = fmt.Sprintf("%s %s", op, t)
	pods, err := a.targetPods(ctx, op, t)
	if err != nil {
		return KubePodChoice{}, err
	}
	var live []corev1.Pod
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return KubePodChoice{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s: the target has no pod that is not already being deleted", op), ErrTypeKubeNoPod, nil)
	}
	sort.Slice(live, func(i, j int) bool { return worsePod(&live[i], &live[j]) })
	p := live[0]
	return KubePodChoice{
		Target: t, Namespace: p.Namespace, Pod: p.Name, UID: string(p.UID),
		Ready: podReady(&p), Restarts: podRestarts(&p), Created: p.CreationTimestamp.UTC(),
		Candidates: len(live),
	}, nil
}

// KubeDeletePodApply deletes exactly the pod instance named by name and
// UID (RBAC: delete on pods). Idempotent: when that instance is gone
// (NotFound, or the name now belongs to a new pod with another UID, as
// with StatefulSets) the result says Deleted=false and no error.
func (a *KubeActivities) KubeDeletePodApply(ctx context.Context, in KubeDeletePodInput) (KubeDeletePodResult, error) {
	op := "kubernetes delete pod"
	if err := kube.ValidateNamespaced(in.Namespace, kube.PodName, in.Pod); err != nil {
		return KubeDeletePodResult{}, invalidName(op, err)
	}
	if in.UID == "" {
		return KubeDeletePodResult{}, invalidInput(op, "pod %s/%s: no UID given; read the pod first", in.Namespace, in.Pod)
	}
	op = fmt.Sprintf("%s %s/%s", op, in.Namespace, in.Pod)
	c, err := a.client(op)
	if err != nil {
		return KubeDeletePodResult{}, err
	}
	uid := types.UID(in.UID)
	res := KubeDeletePodResult{Namespace: in.Namespace, Pod: in.Pod, UID: in.UID}
	err = c.CoreV1().Pods(in.Namespace).Delete(ctx, in.Pod, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	switch {
	case err == nil:
		res.Deleted = true
		a.logger().Info("kubernetes pod deleted", "pod", in.Namespace+"/"+in.Pod, "uid", in.UID)
	case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		// Conflict here is the UID precondition failing: the name belongs
		// to a newer pod, so the one chosen is gone.
		a.logger().Info("kubernetes pod already gone", "pod", in.Namespace+"/"+in.Pod, "uid", in.UID)
	default:
		return KubeDeletePodResult{}, kubeError(op, err)
	}
	return res, nil
}

// targetPods lists the pods the target controls: through its ReplicaSets
// for a Deployment, directly for a StatefulSet. Matching on owners as well
// as the selector keeps a pod of an overlapping workload out.
func (a *KubeActivities) targetPods(ctx context.Context, op string, t KubeTarget) ([]corev1.Pod, error) {
	c, err := a.client(op)
	if err != nil {
		return nil, err
	}
	owners := map[types.UID]bool{}
	var selector *metav1.LabelSelector
	if t.Kind == KindStatefulSet {
		s, err := c.AppsV1().StatefulSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		if err != nil {
			return nil, kubeError(op, err)
		}
		owners[s.UID], selector = true, s.Spec.Selector
	} else {
		d, err := a.readDeployment(ctx, op, t)
		if err != nil {
			return nil, err
		}
		rss, err := ownedReplicaSets(ctx, a, op, d)
		if err != nil {
			return nil, err
		}
		for _, rs := range rss {
			owners[rs.UID] = true
		}
		selector = d.Spec.Selector
	}
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return nil, fmt.Errorf("%s: selector: %w", op, err)
	}
	list, err := c.CoreV1().Pods(t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, kubeError(op, err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && owners[ref.UID] {
			out = append(out, p)
		}
	}
	return out, nil
}

// worsePod orders pods worst first: not Ready, most restarts, oldest, name.
func worsePod(a, b *corev1.Pod) bool {
	if ra, rb := podReady(a), podReady(b); ra != rb {
		return !ra
	}
	if ra, rb := podRestarts(a), podRestarts(b); ra != rb {
		return ra > rb
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// podReady reports the pod's Ready condition.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podRestarts sums the restarts of the pod's containers.
func podRestarts(p *corev1.Pod) int32 {
	var n int32
	for _, s := range p.Status.InitContainerStatuses {
		n += s.RestartCount
	}
	for _, s := range p.Status.ContainerStatuses {
		n += s.RestartCount
	}
	return n
}
