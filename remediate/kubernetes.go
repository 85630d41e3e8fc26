package remediate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/integrations/kube"
	"github.com/firebreak-dev/firebreak/internal/logging"
)

// Application error types of the Kubernetes actions besides those of
// package kube (kube.ErrTypeInvalidName, kube.ErrTypeInvalidInput,
// kube.ErrTypeNotFound, kube.ErrTypeForbidden, kube.ErrTypeRejected,
// kube.ErrTypeNotConfigured). They are stable strings: workflows and retry
// policies match on them. All these are non-retryable, because retrying
// cannot change the input, the object's absence or the permissions; a
// conflict (409) is retried inside the activity, and other API failures are
// plain errors the retry policy retries.
const (
	// ErrTypeKubeNoPrevious: a rollback found no earlier revision to return
	// to.
	ErrTypeKubeNoPrevious = "kubernetes-no-previous-revision"
	// ErrTypeKubeNoPod: delete-pod found no pod of the target to delete.
	ErrTypeKubeNoPod = "kubernetes-no-pod"
)

// Kinds the workload actions accept. Matching is case-insensitive, so
// runbooks may write "deployment".
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
)

// MaxKubeReplicas bounds KubeScaleApply: a larger count is a runbook
// mistake, not a remediation.
const MaxKubeReplicas = 10000

// maxConfigValueBytes bounds env and ConfigMap values: they are recorded in
// workflow history twice (prior and desired).
const maxConfigValueBytes = 32 << 10

// conflictBackoff bounds the re-read-and-retry loop on 409 Conflict: about
// six attempts within half a second, then the activity's retry policy
// takes over.
var conflictBackoff = wait.Backoff{Steps: 6, Duration: 20 * time.Millisecond, Factor: 2, Jitter: 0.2}

// KubeActivities are the Kubernetes remediation activities; one instance is
// registered per worker. Each action is split into Read (records the prior
// state, from which the workflow resolves relative amounts once), Apply
// (sets an absolute desired state; applying twice equals applying once) and
// Restore (returns to a recorded prior state).
type KubeActivities struct {
	Client kubernetes.Interface // the cluster acted on; nil when none is configured
	Log    *slog.Logger         // where mutations are logged; nil discards
}

// KubeTarget names the workload an action targets.
type KubeTarget struct {
	Kind      string // KindDeployment or KindStatefulSet (case-insensitive)
	Namespace string // a DNS-1123 label
	Name      string // a DNS-1123 subdomain
}

// String renders the target for errors and logs, e.g.
// "deployment shop/checkout".
func (t KubeTarget) String() string {
	return fmt.Sprintf("%s %s/%s", strings.ToLower(t.Kind), t.Namespace, t.Name)
}

// logger returns the configured logger or one that discards.
func (a *KubeActivities) logger() *slog.Logger { return logging.OrDiscard(a.Log) }

// client returns the configured client or a non-retryable error.
func (a *KubeActivities) client(op string) (kubernetes.Interface, error) {
	if a.Client == nil {
		return nil, temporal.NewNonRetryableApplicationError(
			op+": no kubernetes cluster is configured", kube.ErrTypeNotConfigured, nil)
	}
	return a.Client, nil
}

// validateTarget checks and normalises a target before any API call;
// kinds lists the kinds the action supports.
func validateTarget(op string, t KubeTarget, kinds ...string) (KubeTarget, error) {
	kind := ""
	for _, k := range kinds {
		if strings.EqualFold(t.Kind, k) {
			kind = k
		}
	}
	if kind == "" {
		return t, invalidInput(op, "kind %q is not supported here (want one of %s)", t.Kind, strings.Join(kinds, ", "))
	}
	t.Kind = kind
	if err := kube.ValidateNamespaced(t.Namespace, kube.WorkloadName, t.Name); err != nil {
		return t, invalidName(op, err)
	}
	return t, nil
}

// invalidName is the refusal of a name kube rejected; kube's message quotes
// it with %q, keeping newlines and control characters visible.
func invalidName(op string, err error) error {
	return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), kube.ErrTypeInvalidName, nil)
}

// invalidInput is the refusal of a non-name input.
func invalidInput(op, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s: %s", op, fmt.Sprintf(format, args...)), kube.ErrTypeInvalidInput, nil)
}

// kubeError classifies an API error by kube.Classify: absent objects and
// refused permissions or changes are non-retryable with stable types;
// everything else (timeouts, 5xx, connection errors, exhausted conflicts)
// stays a plain error the retry policy retries. An application error (from
// a mutate callback) passes through unchanged.
func kubeError(op string, err error) error {
	var appErr *temporal.ApplicationError
	if err == nil || errors.As(err, &appErr) {
		return err
	}
	if typ, retryable := kube.Classify(err); !retryable {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %v", op, err), typ, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// updateTemplate applies mutate to the target's pod template and updates
// the object when mutate reports a change, re-reading and retrying on
// conflicts a bounded number of times. It returns whether an update was
// sent. mutate sees a fresh copy on every attempt and must be
// deterministic in its input, so the outcome does not depend on how many
// attempts it took.
func (a *KubeActivities) updateTemplate(ctx context.Context, op string, t KubeTarget, mutate func(*corev1.PodTemplateSpec) (bool, error)) (bool, error) {
	c, err := a.client(op)
	if err != nil {
		return false, err
	}
	changed := false
	err = retry.RetryOnConflict(conflictBackoff, func() error {
		changed = false
		switch t.Kind {
		case KindDeployment:
			d, err := c.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			ok, err := mutate(&d.Spec.Template)
			if err != nil || !ok {
				return err
			}
			if _, err := c.AppsV1().Deployments(t.Namespace).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
				return err
			}
		case KindStatefulSet:
			s, err := c.AppsV1().StatefulSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			ok, err := mutate(&s.Spec.Template)
			if err != nil || !ok {
				return err
			}
			if _, err := c.AppsV1().StatefulSets(t.Namespace).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
		changed = true
		return nil
	})
	return changed, kubeError(op, err)
}

// readTemplate returns the target's current pod template.
func (a *KubeActivities) readTemplate(ctx context.Context, op string, t KubeTarget) (*corev1.PodTemplateSpec, error) {
	c, err := a.client(op)
	if err != nil {
		return nil, err
	}
	switch t.Kind {
	case KindStatefulSet:
		s, err := c.AppsV1().StatefulSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		if err != nil {
			return nil, kubeError(op, err)
		}
		return &s.Spec.Template, nil
	default:
		d, err := c.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		if err != nil {
			return nil, kubeError(op, err)
		}
		return &d.Spec.Template, nil
	}
}

// readDeployment returns the Deployment the target names.
func (a *KubeActivities) readDeployment(ctx context.Context, op string, t KubeTarget) (*appsv1.Deployment, error) {
	c, err := a.client(op)
	if err != nil {
		return nil, err
	}
	d, err := c.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, kubeError(op, err)
	}
	return d, nil
}

// notFound is the non-retryable absence of something inside an object
// that exists (a container, a key).
func notFound(op, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s: %s", op, fmt.Sprintf(format, args...)), kube.ErrTypeNotFound, nil)
}
