package remediate

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"go.temporal.io/sdk/temporal"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RevisionAnnotation is where the Deployment controller numbers a
// Deployment's and its ReplicaSets' revisions.
const RevisionAnnotation = "deployment.kubernetes.io/revision"

// podTemplateHashLabel is the label the Deployment controller adds to a
// ReplicaSet's template; a Deployment's own template never carries it.
const podTemplateHashLabel = appsv1.DefaultDeploymentUniqueLabelKey

// KubeContainerImage is one container's image in a pod template.
type KubeContainerImage struct {
	Container string // the container's name
	Image     string // its image reference
	Init      bool   // an init container
}

// KubeTemplate is one revision of a Deployment's pod template, recorded in
// history so rollback and its restore set exactly this template.
type KubeTemplate struct {
	Revision int64                  // deployment.kubernetes.io/revision; 0 when unknown
	Images   []KubeContainerImage   // the template's images, for people and runbooks
	Template corev1.PodTemplateSpec // the template itself, without pod-template-hash
}

// KubeRollbackReadInput names the Deployment to roll back.
type KubeRollbackReadInput struct {
	Target KubeTarget // a Deployment
}

// KubeRollbackState records the Deployment's current template (the prior
// state KubeRollbackRestore returns to) and the previous revision's
// template (what KubeRollbackApply sets).
type KubeRollbackState struct {
	Target   KubeTarget   // the Deployment, kind normalised
	Current  KubeTemplate // the template before the rollback
	Previous KubeTemplate // the newest older ReplicaSet's template
}

// KubeRollbackApplyInput asks for the Deployment's template to be exactly
// Template.Template (normally KubeRollbackState.Previous).
type KubeRollbackApplyInput struct {
	Target   KubeTarget   // a Deployment
	Template KubeTemplate // the template to set
}

// KubeRollbackResult records what KubeRollbackApply or KubeRollbackRestore
// did.
type KubeRollbackResult struct {
	Target  KubeTarget           // the Deployment
	Prior   []KubeContainerImage // images just before this activity
	Images  []KubeContainerImage // images after it
	Changed bool                 // false when the template already matched
}

// KubeRollbackRead finds the Deployment's current revision and the
// previous one: the ReplicaSet it controls with the highest
// deployment.kubernetes.io/revision below the current revision (RBAC: get
// on deployments, list on replicasets). No previous ReplicaSet is the
// non-retryable ErrTypeKubeNoPrevious (the history may have been pruned by
// revisionHistoryLimit).
func (a *KubeActivities) KubeRollbackRead(ctx context.Context, in KubeRollbackReadInput) (KubeRollbackState, error) {
	op := "kubernetes rollback read"
	t, err := validateTarget(op, in.Target, KindDeployment)
	if err != nil {
		return KubeRollbackState{}, err
	}
	op = fmt.Sprintf("%s %s", op, t)
	d, err := a.readDeployment(ctx, op, t)
	if err != nil {
		return KubeRollbackState{}, err
	}
	rss, err := ownedReplicaSets(ctx, a, op, d)
	if err != nil {
		return KubeRollbackState{}, err
	}
	current := revisionOf(d.Annotations)
	st := KubeRollbackState{Target: t, Current: newKubeTemplate(current, d.Spec.Template)}
	for _, rs := range rss {
		rev := revisionOf(rs.Annotations)
		if rev > 0 && rev < current && rev > st.Previous.Revision {
			st.Previous = newKubeTemplate(rev, rs.Spec.Template)
		}
	}
	if st.Previous.Revision == 0 {
		return KubeRollbackState{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s: no replicaset with a revision below the current revision %d (%d replicasets)", op, current, len(rss)),
			ErrTypeKubeNoPrevious, nil)
	}
	return st, nil
}

// KubeRollbackApply sets the Deployment's pod template to in.Template
// (RBAC: get and update on deployments). The Deployment controller then
// scales the matching old ReplicaSet back up. Idempotent: a template that
// already matches is not written.
func (a *KubeActivities) KubeRollbackApply(ctx context.Context, in KubeRollbackApplyInput) (KubeRollbackResult, error) {
	op := "kubernetes rollback"
	t, err := validateTarget(op, in.Target, KindDeployment)
	if err != nil {
		return KubeRollbackResult{}, err
	}
	if len(in.Template.Template.Spec.Containers) == 0 {
		return KubeRollbackResult{}, invalidInput(op, "%s: the template to roll back to has no containers", t)
	}
	return a.setTemplate(ctx, fmt.Sprintf("%s %s to revision %d", op, t, in.Template.Revision), t, in.Template.Template)
}

// KubeRollbackRestore sets the Deployment's template back to the one
// KubeRollbackRead recorded as current; idempotent like KubeRollbackApply.
func (a *KubeActivities) KubeRollbackRestore(ctx context.Context, prior KubeRollbackState) (KubeRollbackResult, error) {
	return a.KubeRollbackApply(ctx, KubeRollbackApplyInput{Target: prior.Target, Template: prior.Current})
}

// setTemplate makes the Deployment's template semantically equal to want.
func (a *KubeActivities) setTemplate(ctx context.Context, op string, t KubeTarget, want corev1.PodTemplateSpec) (KubeRollbackResult, error) {
	want = *stripHash(&want)
	res := KubeRollbackResult{Target: t, Images: imagesOf(want)}
	first := true
	changed, err := a.updateTemplate(ctx, op, t, func(tmpl *corev1.PodTemplateSpec) (bool, error) {
		if first {
			res.Prior, first = imagesOf(*tmpl), false
		}
		if apiequality.Semantic.DeepEqual(*tmpl, want) {
			return false, nil
		}
		*tmpl = *want.DeepCopy()
		return true, nil
	})
	if err != nil {
		return KubeRollbackResult{}, err
	}
	res.Changed = changed
	a.logger().Info("kubernetes template set", "target", t.String(), "prior", res.Prior, "images", res.Images, "changed", changed)
	return res, nil
}

// ownedReplicaSets lists the ReplicaSets d controls, oldest revision first.
func ownedReplicaSets(ctx context.Context, a *KubeActivities, op string, d *appsv1.Deployment) ([]appsv1.ReplicaSet, error) {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("%s: selector: %w", op, err)
	}
	list, err := a.Client.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, kubeError(op, err)
	}
	var out []appsv1.ReplicaSet
	for _, rs := range list.Items {
		if ref := metav1.GetControllerOf(&rs); ref != nil && ref.UID == d.UID {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return revisionOf(out[i].Annotations) < revisionOf(out[j].Annotations) })
	return out, nil
}

// revisionOf parses the revision annotation; 0 when absent or malformed.
func revisionOf(annotations map[string]string) int64 {
	n, err := strconv.ParseInt(annotations[RevisionAnnotation], 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// newKubeTemplate records a template without the pod-template-hash label.
func newKubeTemplate(revision int64, tmpl corev1.PodTemplateSpec) KubeTemplate {
	clean := stripHash(&tmpl)
	return KubeTemplate{Revision: revision, Images: imagesOf(*clean), Template: *clean}
}

// stripHash returns a copy of tmpl without the label the Deployment
// controller adds to ReplicaSet templates.
func stripHash(tmpl *corev1.PodTemplateSpec) *corev1.PodTemplateSpec {
	c := tmpl.DeepCopy()
	delete(c.Labels, podTemplateHashLabel)
	return c
}

// imagesOf lists a template's images, init containers first.
func imagesOf(tmpl corev1.PodTemplateSpec) []KubeContainerImage {
	var out []KubeContainerImage
	for _, c := range tmpl.Spec.InitContainers {
		out = append(out, KubeContainerImage{Container: c.Name, Image: c.Image, Init: true})
	}
	for _, c := range tmpl.Spec.Containers {
		out = append(out, KubeContainerImage{Container: c.Name, Image: c.Image})
	}
	return out
}
