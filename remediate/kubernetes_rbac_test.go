package remediate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/integrations/kube"
	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// applyRBACManifest creates every object of deploy/rbac.yaml as the admin.
func applyRBACManifest(t *testing.T, k *testutil.Kube) []runtime.Object {
	t.Helper()
	src, err := os.ReadFile("../deploy/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var objs []runtime.Object
	for _, doc := range bytes.Split(src, []byte("\n---\n")) {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("decode deploy/rbac.yaml: %v", err)
		}
		objs = append(objs, obj)
		switch o := obj.(type) {
		case *corev1.Namespace:
			_, err = k.Client.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
		case *corev1.ServiceAccount:
			_, err = k.Client.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRole:
			_, err = k.Client.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = k.Client.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("deploy/rbac.yaml: unexpected %T", obj)
		}
		if err != nil {
			t.Fatalf("create %T: %v", obj, err)
		}
	}
	return objs
}

// serviceAccountClient returns a client authenticated only by a token of
// the ServiceAccount: no client certificate, no admin group.
func serviceAccountClient(t *testing.T, k *testutil.Kube, ns, name string) kubernetes.Interface {
	t.Helper()
	exp := int64(3600)
	tok, err := k.Client.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s/%s: %v", ns, name, err)
	}
	cfg := rest.AnonymousClientConfig(k.Config)
	cfg.BearerToken = tok.Status.Token
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestKubeRBACManifestIsSufficient runs every remediation and the
// diagnosis as the ServiceAccount deploy/rbac.yaml defines, bound only to
// its ClusterRole, and checks the role grants no more than it should.
func TestKubeRBACManifestIsSufficient(t *testing.T) {
	k := testutil.SharedKube(t)
	applyRBACManifest(t, k)
	sa := serviceAccountClient(t, k, "firebreak", "firebreak")
	ns := k.Namespace(t, "rbac")
	setupRoundTrip(t, k, ns)
	ctx := context.Background()

	// RBAC bindings take effect asynchronously in the authorizer's cache.
	testutil.PollUntil(t, 30*time.Second, "service account authorized", func() (bool, error) {
		_, err := sa.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
		return err == nil, err
	})

	a := &KubeActivities{Client: sa}
	target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "app"}
	steps := []struct {
		name string
		run  func() error
	}{
		{"scale", func() error {
			prior, err := runKube[KubeScaleState](t, a, a.KubeScaleRead, KubeScaleReadInput{Target: target})
			if err != nil {
				return err
			}
			if _, err := runKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: target, Replicas: 3}); err != nil {
				return err
			}
			_, err = runKube[KubeScaleResult](t, a, a.KubeScaleRestore, prior)
			return err
		}},
		{"restart", func() error {
			prior, err := runKube[KubeRestartState](t, a, a.KubeRestartRead, KubeRestartReadInput{Target: target})
			if err != nil {
				return err
			}
			if _, err := runKube[KubeRestartResult](t, a, a.KubeRestartApply, KubeRestartApplyInput{Target: target, RestartedAt: "2026-11-23T12:00:00Z"}); err != nil {
				return err
			}
			_, err = runKube[KubeRestartResult](t, a, a.KubeRestartRestore, prior)
			return err
		}},
		{"rollback", func() error {
			prior, err := runKube[KubeRollbackState](t, a, a.KubeRollbackRead, KubeRollbackReadInput{Target: target})
			if err != nil {
				return err
			}
			if _, err := runKube[KubeRollbackResult](t, a, a.KubeRollbackApply, KubeRollbackApplyInput{Target: target, Template: prior.Previous}); err != nil {
				return err
			}
			_, err = runKube[KubeRollbackResult](t, a, a.KubeRollbackRestore, prior)
			return err
		}},
		{"set env", func() error {
			prior, err := runKube[KubeEnvState](t, a, a.KubeSetEnvRead, KubeEnvReadInput{Target: target, Name: "POOL"})
			if err != nil {
				return err
			}
			if _, err := runKube[KubeEnvResult](t, a, a.KubeSetEnvApply, KubeSetEnvInput{Target: target, Name: "POOL", Value: "30"}); err != nil {
				return err
			}
			_, err = runKube[KubeEnvResult](t, a, a.KubeSetEnvRestore, prior)
			return err
		}},
		{"configmap", func() error {
			key := KubeConfigMapKeyInput{Namespace: ns, Name: "settings", Key: "pool_size"}
			prior, err := runKube[KubeConfigMapState](t, a, a.KubeConfigMapRead, key)
			if err != nil {
				return err
			}
			if _, err := runKube[KubeConfigMapResult](t, a, a.KubeConfigMapApply, KubeConfigMapSetInput{Namespace: ns, Name: "settings", Key: "pool_size", Value: "50"}); err != nil {
				return err
			}
			_, err = runKube[KubeConfigMapResult](t, a, a.KubeConfigMapRestore, prior)
			return err
		}},
		{"rollout wait", func() error {
			_, err := runKube[KubeRolloutStatus](t, a, a.KubeRolloutWait, KubeRolloutWaitInput{Target: target, Timeout: time.Minute})
			return err
		}},
		{"delete pod", func() error {
			choice, err := runKube[KubePodChoice](t, a, a.KubeDeletePodRead, KubeDeletePodReadInput{Target: target})
			if err != nil {
				return err
			}
			_, err = runKube[KubeDeletePodResult](t, a, a.KubeDeletePodApply, KubeDeletePodInput{Namespace: ns, Pod: choice.Pod, UID: choice.UID})
			return err
		}},
		{"diagnose", func() error {
			d := &diagnose.KubeActivities{Client: sa}
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(d)
			_, err := env.ExecuteActivity(d.KubeDiagnose, diagnose.KubeDiagnoseInput{Kind: "Deployment", Namespace: ns, Name: "app"})
			return err
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.run(); err != nil {
				t.Fatalf("as the firebreak service account: %v", err)
			}
		})
	}

	// Not more than needed: the role cannot create, delete workloads or
	// read secrets, and a refusal is the non-retryable forbidden type.
	denied := []struct {
		name string
		call func() error
	}{
		{"delete deployment", func() error {
			return sa.AppsV1().Deployments(ns).Delete(ctx, "app", metav1.DeleteOptions{})
		}},
		{"list secrets", func() error {
			_, err := sa.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
			return err
		}},
		{"create configmap", func() error {
			_, err := sa.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
			return err
		}},
		{"delete configmap", func() error {
			return sa.CoreV1().ConfigMaps(ns).Delete(ctx, "settings", metav1.DeleteOptions{})
		}},
	}
	for _, d := range denied {
		t.Run("denied/"+d.name, func(t *testing.T) {
			if err := d.call(); !apierrors.IsForbidden(err) {
				t.Fatalf("err = %v, want forbidden", err)
			}
		})
	}
	t.Run("forbidden is non-retryable", func(t *testing.T) {
		// A ServiceAccount without any binding.
		other := k.Namespace(t, "rbac-none")
		if _, err := k.Client.CoreV1().ServiceAccounts(other).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		none := &KubeActivities{Client: serviceAccountClient(t, k, other, "nobody")}
		_, err := runKube[KubeScaleState](t, none, none.KubeScaleRead, KubeScaleReadInput{Target: target})
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != kube.ErrTypeForbidden || !appErr.NonRetryable() {
			t.Fatalf("err = %v, want non-retryable %s", err, kube.ErrTypeForbidden)
		}
	})
}
