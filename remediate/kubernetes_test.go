package remediate

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/integrations/kube"
	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// TestMain shares one Kubernetes control plane among the package's tests.
func TestMain(m *testing.M) { os.Exit(testutil.KubeMain(m)) }

// runKube runs one Kubernetes activity in Temporal's activity test
// environment, so inputs, results and errors pass through the real
// converters and heartbeats work.
func runKube[T any](t *testing.T, a *KubeActivities, fn any, in any) (T, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	var out T
	val, err := env.ExecuteActivity(fn, in)
	if err != nil {
		return out, err
	}
	if err := val.Get(&out); err != nil {
		t.Fatalf("decode result: %v", err)
	}
	return out, nil
}

// mustKube is runKube failing the test on error.
func mustKube[T any](t *testing.T, a *KubeActivities, fn any, in any) T {
	t.Helper()
	out, err := runKube[T](t, a, fn, in)
	if err != nil {
		t.Fatalf("activity: %v", err)
	}
	return out
}

// countingTransport counts every request a client sends.
type countingTransport struct {
	n    *atomic.Int64
	next http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// countingClient returns a client for cfg whose requests are counted.
func countingClient(t *testing.T, cfg *rest.Config) (kubernetes.Interface, *atomic.Int64) {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	n := new(atomic.Int64)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{n: n, next: rt} })
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, n
}

func getDeployment(t *testing.T, c kubernetes.Interface, ns, name string) *appsv1.Deployment {
	t.Helper()
	d, err := c.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// waitRollout runs KubeRolloutWait and requires a complete rollout of want
// ready replicas.
func waitRollout(t *testing.T, a *KubeActivities, target KubeTarget, want int32) KubeRolloutStatus {
	t.Helper()
	st := mustKube[KubeRolloutStatus](t, a, a.KubeRolloutWait, KubeRolloutWaitInput{Target: target, Timeout: time.Minute})
	if !st.Complete || st.Ready != want || st.Desired != want {
		t.Fatalf("rollout of %s: %+v, want complete with %d ready", target, st, want)
	}
	return st
}

// podsOf lists the live pods labelled app=name.
func podsOf(t *testing.T, c kubernetes.Interface, ns, name string) []corev1.Pod {
	t.Helper()
	list, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func TestKubeScaleDeployment(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "scale")
	k.CreateDeployment(t, ns, "web", 2, "registry.invalid/web:1")
	k.WaitDeploymentReady(t, ns, "web", 2)
	a := &KubeActivities{Client: k.Client}
	target := KubeTarget{Kind: "deployment", Namespace: ns, Name: "web"}

	prior := mustKube[KubeScaleState](t, a, a.KubeScaleRead, KubeScaleReadInput{Target: target})
	if prior.Replicas != 2 || prior.Target.Kind != KindDeployment {
		t.Fatalf("read = %+v, want 2 replicas of a Deployment", prior)
	}
	// The workflow resolves +50% of 2 to 3 from the recorded read.
	res := mustKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: target, Replicas: 3})
	if want := (KubeScaleResult{Target: prior.Target, Prior: 2, Replicas: 3, Changed: true}); res != want {
		t.Fatalf("apply = %+v, want %+v", res, want)
	}
	waitRollout(t, a, target, 3)
	if d := getDeployment(t, k.Client, ns, "web"); d.Status.ReadyReplicas != 3 {
		t.Fatalf("readyReplicas = %d, want 3", d.Status.ReadyReplicas)
	}
}

func TestKubeScaleStatefulSet(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "scale-sts")
	one := int32(1)
	labels := map[string]string{"app": "db"}
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &one, ServiceName: "db",
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "registry.invalid/db:1"}}},
			},
		},
	}
	if _, err := k.Client.AppsV1().StatefulSets(ns).Create(context.Background(), sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a := &KubeActivities{Client: k.Client}
	target := KubeTarget{Kind: "StatefulSet", Namespace: ns, Name: "db"}
	prior := mustKube[KubeScaleState](t, a, a.KubeScaleRead, KubeScaleReadInput{Target: target})
	if prior.Replicas != 1 {
		t.Fatalf("read = %+v, want 1", prior)
	}
	mustKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: target, Replicas: 2})
	waitRollout(t, a, target, 2)
	res := mustKube[KubeScaleResult](t, a, a.KubeScaleRestore, prior)
	if !res.Changed || res.Prior != 2 || res.Replicas != 1 {
		t.Fatalf("restore = %+v, want 2 -> 1", res)
	}
	waitRollout(t, a, target, 1)
}

func TestKubeRestartRollsPods(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "restart")
	k.CreateDeployment(t, ns, "api", 2, "registry.invalid/api:1")
	k.WaitDeploymentReady(t, ns, "api", 2)
	a := &KubeActivities{Client: k.Client}
	target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "api"}
	before := map[string]bool{}
	for _, p := range podsOf(t, k.Client, ns, "api") {
		before[string(p.UID)] = true
	}

	stamp := "2026-11-23T10:00:00Z"
	res := mustKube[KubeRestartResult](t, a, a.KubeRestartApply, KubeRestartApplyInput{Target: target, RestartedAt: stamp})
	if !res.Changed || !res.PriorAbsent || res.RestartedAt != stamp {
		t.Fatalf("apply = %+v", res)
	}
	if got := getDeployment(t, k.Client, ns, "api").Spec.Template.Annotations[RestartedAtAnnotation]; got != stamp {
		t.Fatalf("template annotation = %q, want %q", got, stamp)
	}
	waitRollout(t, a, target, 2)
	testutil.PollUntil(t, time.Minute, "only new pods", func() (bool, error) {
		pods := podsOf(t, k.Client, ns, "api")
		for _, p := range pods {
			if before[string(p.UID)] {
				return false, nil
			}
		}
		return len(pods) == 2, nil
	})
}

func TestKubeRollbackRestoresPreviousImage(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "rollback")
	k.CreateDeployment(t, ns, "jobs", 2, "registry.invalid/jobs:1")
	k.WaitDeploymentReady(t, ns, "jobs", 2)
	a := &KubeActivities{Client: k.Client}
	target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "jobs"}

	// The bad deploy.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d := getDeployment(t, k.Client, ns, "jobs")
		d.Spec.Template.Spec.Containers[0].Image = "registry.invalid/jobs:2-broken"
		_, err := k.Client.AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	k.WaitDeploymentReady(t, ns, "jobs", 2)

	st := mustKube[KubeRollbackState](t, a, a.KubeRollbackRead, KubeRollbackReadInput{Target: target})
	if st.Current.Revision != 2 || st.Previous.Revision != 1 ||
		st.Current.Images[0].Image != "registry.invalid/jobs:2-broken" || st.Previous.Images[0].Image != "registry.invalid/jobs:1" {
		t.Fatalf("read: current %d %v, previous %d %v", st.Current.Revision, st.Current.Images, st.Previous.Revision, st.Previous.Images)
	}
	res := mustKube[KubeRollbackResult](t, a, a.KubeRollbackApply, KubeRollbackApplyInput{Target: target, Template: st.Previous})
	if !res.Changed || res.Images[0].Image != "registry.invalid/jobs:1" {
		t.Fatalf("apply = %+v", res)
	}
	waitRollout(t, a, target, 2)
	testutil.PollUntil(t, time.Minute, "pods on the previous image", func() (bool, error) {
		pods := podsOf(t, k.Client, ns, "jobs")
		for _, p := range pods {
			if p.Spec.Containers[0].Image != "registry.invalid/jobs:1" {
				return false, nil
			}
		}
		return len(pods) == 2, nil
	})
}

func TestKubeDeletePodDeletesExactlyOne(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "delete-pod")
	k.CreateDeployment(t, ns, "worker", 3, "registry.invalid/worker:1")
	k.WaitDeploymentReady(t, ns, "worker", 3)
	a := &KubeActivities{Client: k.Client}
	target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "worker"}
	before := podsOf(t, k.Client, ns, "worker")

	choice := mustKube[KubePodChoice](t, a, a.KubeDeletePodRead, KubeDeletePodReadInput{Target: target})
	if choice.Candidates != 3 || choice.Pod == "" || choice.UID == "" {
		t.Fatalf("read = %+v", choice)
	}
	in := KubeDeletePodInput{Namespace: ns, Pod: choice.Pod, UID: choice.UID}
	if res := mustKube[KubeDeletePodResult](t, a, a.KubeDeletePodApply, in); !res.Deleted {
		t.Fatalf("apply = %+v, want deleted", res)
	}
	// Applying again is a no-op: that pod instance is gone or going.
	testutil.PollUntil(t, time.Minute, "chosen pod gone", func() (bool, error) {
		_, err := k.Client.CoreV1().Pods(ns).Get(context.Background(), choice.Pod, metav1.GetOptions{})
		return apierrors.IsNotFound(err), err
	})
	if res := mustKube[KubeDeletePodResult](t, a, a.KubeDeletePodApply, in); res.Deleted {
		t.Fatalf("second apply = %+v, want nothing deleted", res)
	}
	after := map[string]bool{}
	for _, p := range podsOf(t, k.Client, ns, "worker") {
		after[string(p.UID)] = true
	}
	survivors := 0
	for _, p := range before {
		if after[string(p.UID)] {
			survivors++
		} else if p.Name != choice.Pod {
			t.Errorf("pod %s was deleted but not chosen", p.Name)
		}
	}
	if survivors != 2 {
		t.Fatalf("%d of 3 pods survive, want exactly 2", survivors)
	}
	k.WaitDeploymentReady(t, ns, "worker", 3)
}

// TestKubeActionsRoundTrip checks, for every restorable action, that Apply
// changes exactly what it names, that applying twice writes nothing more,
// and that Restore returns the object to the state recorded by Read.
func TestKubeActionsRoundTrip(t *testing.T) {
	k := testutil.SharedKube(t)
	a := &KubeActivities{Client: k.Client}
	ctx := context.Background()

	// snapshot captures what an action may change: the Deployment's spec
	// (template and replicas) or the ConfigMap's data, plus a version that
	// proves whether anything was written: the Deployment's generation
	// (its controller keeps writing status, which changes resourceVersion)
	// or the ConfigMap's resourceVersion.
	type snapshot struct {
		spec any
		rv   string
	}
	deploymentSnap := func(ns string) func(t *testing.T) snapshot {
		return func(t *testing.T) snapshot {
			d := getDeployment(t, k.Client, ns, "app")
			return snapshot{spec: d.Spec, rv: strconv.FormatInt(d.Generation, 10)}
		}
	}
	configMapSnap := func(ns string) func(t *testing.T) snapshot {
		return func(t *testing.T) snapshot {
			cm, err := k.Client.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return snapshot{spec: cm.Data, rv: cm.ResourceVersion}
		}
	}

	cases := []struct {
		name string
		// run reads, applies twice and restores, through the activities;
		// check inspects the object after the first apply.
		run   func(t *testing.T, ns string, step func(string))
		check func(t *testing.T, ns string)
		snap  func(ns string) func(t *testing.T) snapshot
	}{
		{
			name: "scale",
			snap: deploymentSnap,
			run: func(t *testing.T, ns string, step func(string)) {
				target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "app"}
				prior := mustKube[KubeScaleState](t, a, a.KubeScaleRead, KubeScaleReadInput{Target: target})
				step("read")
				mustKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: target, Replicas: 4})
				step("apply")
				mustKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: target, Replicas: 4})
				step("apply again")
				mustKube[KubeScaleResult](t, a, a.KubeScaleRestore, prior)
			},
			check: func(t *testing.T, ns string) {
				if r := *getDeployment(t, k.Client, ns, "app").Spec.Replicas; r != 4 {
					t.Fatalf("replicas = %d, want 4", r)
				}
			},
		},
		{
			name: "restart",
			snap: deploymentSnap,
			run: func(t *testing.T, ns string, step func(string)) {
				target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "app"}
				in := KubeRestartApplyInput{Target: target, RestartedAt: "2026-11-23T11:00:00Z"}
				prior := mustKube[KubeRestartState](t, a, a.KubeRestartRead, KubeRestartReadInput{Target: target})
				step("read")
				mustKube[KubeRestartResult](t, a, a.KubeRestartApply, in)
				step("apply")
				mustKube[KubeRestartResult](t, a, a.KubeRestartApply, in)
				step("apply again")
				mustKube[KubeRestartResult](t, a, a.KubeRestartRestore, prior)
			},
			check: func(t *testing.T, ns string) {
				tmpl := getDeployment(t, k.Client, ns, "app").Spec.Template
				if tmpl.Annotations[RestartedAtAnnotation] != "2026-11-23T11:00:00Z" || len(tmpl.Annotations) != 1 {
					t.Fatalf("template annotations = %v", tmpl.Annotations)
				}
			},
		},
		{
			name: "rollback",
			snap: deploymentSnap,
			run: func(t *testing.T, ns string, step func(string)) {
				target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "app"}
				prior := mustKube[KubeRollbackState](t, a, a.KubeRollbackRead, KubeRollbackReadInput{Target: target})
				step("read")
				in := KubeRollbackApplyInput{Target: target, Template: prior.Previous}
				mustKube[KubeRollbackResult](t, a, a.KubeRollbackApply, in)
				step("apply")
				mustKube[KubeRollbackResult](t, a, a.KubeRollbackApply, in)
				step("apply again")
				mustKube[KubeRollbackResult](t, a, a.KubeRollbackRestore, prior)
			},
			check: func(t *testing.T, ns string) {
				c := getDeployment(t, k.Client, ns, "app").Spec.Template.Spec.Containers[0]
				if c.Image != "registry.invalid/app:1" {
					t.Fatalf("image = %s, want registry.invalid/app:1", c.Image)
				}
			},
		},
		{
			name: "set env of an existing var",
			snap: deploymentSnap,
			run: func(t *testing.T, ns string, step func(string)) {
				target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "app"}
				prior := mustKube[KubeEnvState](t, a, a.KubeSetEnvRead, KubeEnvReadInput{Target: target, Container: "app", Name: "MODE"})
				if !prior.Present || prior.Value != "normal" {
					t.Fatalf("read = %+v", prior)
				}
				step("read")
				in := KubeSetEnvInput{Target: target, Container: "app", Name: "MODE", Value: "degraded"}
				mustKube[KubeEnvResult](t, a, a.KubeSetEnvApply, in)
				step("apply")
				mustKube[KubeEnvResult](t, a, a.KubeSetEnvApply, in)
				step("apply again")
				mustKube[KubeEnvResult](t, a, a.KubeSetEnvRestore, prior)
			},
			check: func(t *testing.T, ns string) {
				env := getDeployment(t, k.Client, ns, "app").Spec.Template.Spec.Containers[0].Env
				want := []corev1.EnvVar{{Name: "MODE", Value: "degraded"}, {Name: "POOL", Value: "10"}}
				if !apiequality.Semantic.DeepEqual(env, want) {
					t.Fatalf("env = %v, want %v", env, want)
				}
			},
		},
		{
			name: "set env of a new var (restore removes it)",
			snap: deploymentSnap,
			run: func(t *testing.T, ns string, step func(string)) {
				target := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "app"}
				prior := mustKube[KubeEnvState](t, a, a.KubeSetEnvRead, KubeEnvReadInput{Target: target, Name: "NEW_FLAG"})
				if prior.Present || prior.Container != "app" {
					t.Fatalf("read = %+v", prior)
				}
				step("read")
				in := KubeSetEnvInput{Target: target, Name: "NEW_FLAG", Value: "on"}
				mustKube[KubeEnvResult](t, a, a.KubeSetEnvApply, in)
				step("apply")
				mustKube[KubeEnvResult](t, a, a.KubeSetEnvApply, in)
				step("apply again")
				mustKube[KubeEnvResult](t, a, a.KubeSetEnvRestore, prior)
			},
			check: func(t *testing.T, ns string) {
				env := getDeployment(t, k.Client, ns, "app").Spec.Template.Spec.Containers[0].Env
				want := []corev1.EnvVar{{Name: "MODE", Value: "normal"}, {Name: "POOL", Value: "10"}, {Name: "NEW_FLAG", Value: "on"}}
				if !apiequality.Semantic.DeepEqual(env, want) {
					t.Fatalf("env = %v, want %v", env, want)
				}
			},
		},
		{
			name: "configmap key",
			snap: configMapSnap,
			run: func(t *testing.T, ns string, step func(string)) {
				key := KubeConfigMapKeyInput{Namespace: ns, Name: "settings", Key: "pool_size"}
				prior := mustKube[KubeConfigMapState](t, a, a.KubeConfigMapRead, key)
				if !prior.Present || prior.Value != "10" {
					t.Fatalf("read = %+v", prior)
				}
				step("read")
				in := KubeConfigMapSetInput{Namespace: ns, Name: "settings", Key: "pool_size", Value: "40"}
				mustKube[KubeConfigMapResult](t, a, a.KubeConfigMapApply, in)
				step("apply")
				mustKube[KubeConfigMapResult](t, a, a.KubeConfigMapApply, in)
				step("apply again")
				mustKube[KubeConfigMapResult](t, a, a.KubeConfigMapRestore, prior)
			},
			check: func(t *testing.T, ns string) {
				cm, err := k.Client.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"pool_size": "40", "timeout": "5s"}
				if !apiequality.Semantic.DeepEqual(cm.Data, want) {
					t.Fatalf("data = %v, want %v", cm.Data, want)
				}
			},
		},
		{
			name: "configmap new key (restore removes it)",
			snap: configMapSnap,
			run: func(t *testing.T, ns string, step func(string)) {
				key := KubeConfigMapKeyInput{Namespace: ns, Name: "settings", Key: "max_conns"}
				prior := mustKube[KubeConfigMapState](t, a, a.KubeConfigMapRead, key)
				step("read")
				in := KubeConfigMapSetInput{Namespace: ns, Name: "settings", Key: "max_conns", Value: "100"}
				mustKube[KubeConfigMapResult](t, a, a.KubeConfigMapApply, in)
				step("apply")
				mustKube[KubeConfigMapResult](t, a, a.KubeConfigMapApply, in)
				step("apply again")
				mustKube[KubeConfigMapResult](t, a, a.KubeConfigMapRestore, prior)
			},
			check: func(t *testing.T, ns string) {
				cm, err := k.Client.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(cm.Data) != 3 || cm.Data["max_conns"] != "100" || cm.Data["pool_size"] != "10" {
					t.Fatalf("data = %v", cm.Data)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := k.Namespace(t, "roundtrip")
			setupRoundTrip(t, k, ns)
			snap := tc.snap(ns)
			var original, applied snapshot
			tc.run(t, ns, func(step string) {
				switch step {
				case "read":
					original = snap(t)
				case "apply":
					tc.check(t, ns)
					applied = snap(t)
					if apiequality.Semantic.DeepEqual(applied.spec, original.spec) {
						t.Fatal("apply changed nothing")
					}
				case "apply again":
					if again := snap(t); again.rv != applied.rv {
						t.Fatalf("second apply wrote the object (version %s -> %s)", applied.rv, again.rv)
					}
				}
			})
			if restored := snap(t); !apiequality.Semantic.DeepEqual(restored.spec, original.spec) {
				t.Fatalf("restore did not return to the prior state:\n got %+v\nwant %+v", restored.spec, original.spec)
			}
		})
	}
}

// setupRoundTrip creates the Deployment "app" at revision 2 (revision 1:
// image registry.invalid/app:1 with env MODE; revision 2: image :2 with env
// MODE and POOL) and the ConfigMap "settings".
func setupRoundTrip(t *testing.T, k *testutil.Kube, ns string) {
	t.Helper()
	ctx := context.Background()
	k.CreateDeployment(t, ns, "app", 2, "registry.invalid/app:1")
	// Revision 1's ReplicaSet must exist before revision 2 replaces it.
	testutil.PollUntil(t, time.Minute, "first revision", func() (bool, error) {
		d, err := k.Client.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
		return err == nil && d.Status.ObservedGeneration >= d.Generation, err
	})
	// The Deployment controller writes the object too: retry conflicts.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d := getDeployment(t, k.Client, ns, "app")
		c := &d.Spec.Template.Spec.Containers[0]
		c.Image = "registry.invalid/app:2"
		c.Env = append(c.Env, corev1.EnvVar{Name: "POOL", Value: "10"})
		_, err := k.Client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	k.WaitDeploymentReady(t, ns, "app", 2)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns},
		Data:       map[string]string{"pool_size": "10", "timeout": "5s"},
	}
	if _, err := k.Client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestKubeHostileNamesRefusedBeforeAnyRequest feeds label-derived values
// into every activity and proves, with a transport that counts requests,
// that each is refused with kube.ErrTypeInvalidName before the client sends
// anything. The client points at a closed port: a request would not even
// reach a server.
func TestKubeHostileNamesRefusedBeforeAnyRequest(t *testing.T) {
	client, requests := countingClient(t, &rest.Config{Host: "https://127.0.0.1:1"})
	a := &KubeActivities{Client: client}
	hostile := []struct{ name, value string }{
		{"dot-dot-slash", "../etc"},
		{"uppercase", "Checkout"},
		{"300 characters", strings.Repeat("a", 300)},
		{"semicolon", "web;rm -rf"},
		{"newline", "web\nx"},
		{"empty", ""},
		{"slash", "a/b"},
		{"space", "web x"},
	}
	activities := []struct {
		name string
		call func(ns, name string) error
	}{
		{"scale read", func(ns, name string) error {
			_, err := runKube[KubeScaleState](t, a, a.KubeScaleRead, KubeScaleReadInput{Target: KubeTarget{KindDeployment, ns, name}})
			return err
		}},
		{"scale apply", func(ns, name string) error {
			_, err := runKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: KubeTarget{KindStatefulSet, ns, name}, Replicas: 2})
			return err
		}},
		{"restart apply", func(ns, name string) error {
			_, err := runKube[KubeRestartResult](t, a, a.KubeRestartApply, KubeRestartApplyInput{Target: KubeTarget{KindDeployment, ns, name}, RestartedAt: "2026-11-23T10:00:00Z"})
			return err
		}},
		{"rollback read", func(ns, name string) error {
			_, err := runKube[KubeRollbackState](t, a, a.KubeRollbackRead, KubeRollbackReadInput{Target: KubeTarget{KindDeployment, ns, name}})
			return err
		}},
		{"delete pod read", func(ns, name string) error {
			_, err := runKube[KubePodChoice](t, a, a.KubeDeletePodRead, KubeDeletePodReadInput{Target: KubeTarget{KindDeployment, ns, name}})
			return err
		}},
		{"delete pod apply", func(ns, name string) error {
			_, err := runKube[KubeDeletePodResult](t, a, a.KubeDeletePodApply, KubeDeletePodInput{Namespace: ns, Pod: name, UID: "u"})
			return err
		}},
		{"set env apply", func(ns, name string) error {
			_, err := runKube[KubeEnvResult](t, a, a.KubeSetEnvApply, KubeSetEnvInput{Target: KubeTarget{KindDeployment, ns, name}, Name: "POOL", Value: "1"})
			return err
		}},
		{"configmap apply", func(ns, name string) error {
			_, err := runKube[KubeConfigMapResult](t, a, a.KubeConfigMapApply, KubeConfigMapSetInput{Namespace: ns, Name: name, Key: "k", Value: "v"})
			return err
		}},
		{"rollout wait", func(ns, name string) error {
			_, err := runKube[KubeRolloutStatus](t, a, a.KubeRolloutWait, KubeRolloutWaitInput{Target: KubeTarget{KindDeployment, ns, name}, Timeout: time.Second})
			return err
		}},
	}
	for _, act := range activities {
		for _, h := range hostile {
			for _, field := range []string{"namespace", "name"} {
				t.Run(act.name+"/"+field+"/"+h.name, func(t *testing.T) {
					ns, name := "shop", "checkout"
					if field == "namespace" {
						ns = h.value
					} else {
						name = h.value
					}
					err := act.call(ns, name)
					wantAppError(t, err, kube.ErrTypeInvalidName)
					if !strings.Contains(err.Error(), field) && !strings.Contains(err.Error(), "name") {
						t.Errorf("error %q does not say which input was refused", err)
					}
				})
			}
		}
	}
	// Other inputs a runbook controls, also refused before any request.
	others := []struct {
		name string
		typ  string
		call func() error
	}{
		{"env var name with =", kube.ErrTypeInvalidName, func() error {
			_, err := runKube[KubeEnvResult](t, a, a.KubeSetEnvApply, KubeSetEnvInput{Target: KubeTarget{KindDeployment, "shop", "web"}, Name: "A=B", Value: "1"})
			return err
		}},
		{"container uppercase", kube.ErrTypeInvalidName, func() error {
			_, err := runKube[KubeEnvState](t, a, a.KubeSetEnvRead, KubeEnvReadInput{Target: KubeTarget{KindDeployment, "shop", "web"}, Container: "App", Name: "A"})
			return err
		}},
		{"configmap key ../", kube.ErrTypeInvalidName, func() error {
			_, err := runKube[KubeConfigMapState](t, a, a.KubeConfigMapRead, KubeConfigMapKeyInput{Namespace: "shop", Name: "cm", Key: "../x"})
			return err
		}},
		{"unsupported kind", kube.ErrTypeInvalidInput, func() error {
			_, err := runKube[KubeScaleState](t, a, a.KubeScaleRead, KubeScaleReadInput{Target: KubeTarget{"DaemonSet", "shop", "web"}})
			return err
		}},
		{"rollback of a statefulset", kube.ErrTypeInvalidInput, func() error {
			_, err := runKube[KubeRollbackState](t, a, a.KubeRollbackRead, KubeRollbackReadInput{Target: KubeTarget{KindStatefulSet, "shop", "web"}})
			return err
		}},
		{"negative replicas", kube.ErrTypeInvalidInput, func() error {
			_, err := runKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: KubeTarget{KindDeployment, "shop", "web"}, Replicas: -1})
			return err
		}},
		{"too many replicas", kube.ErrTypeInvalidInput, func() error {
			_, err := runKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: KubeTarget{KindDeployment, "shop", "web"}, Replicas: MaxKubeReplicas + 1})
			return err
		}},
		{"restartedAt not a time", kube.ErrTypeInvalidInput, func() error {
			_, err := runKube[KubeRestartResult](t, a, a.KubeRestartApply, KubeRestartApplyInput{Target: KubeTarget{KindDeployment, "shop", "web"}, RestartedAt: "now"})
			return err
		}},
		{"delete pod without uid", kube.ErrTypeInvalidInput, func() error {
			_, err := runKube[KubeDeletePodResult](t, a, a.KubeDeletePodApply, KubeDeletePodInput{Namespace: "shop", Pod: "web-1"})
			return err
		}},
		{"oversized configmap value", kube.ErrTypeInvalidInput, func() error {
			_, err := runKube[KubeConfigMapResult](t, a, a.KubeConfigMapApply, KubeConfigMapSetInput{Namespace: "shop", Name: "cm", Key: "k", Value: strings.Repeat("x", maxConfigValueBytes+1)})
			return err
		}},
	}
	for _, o := range others {
		t.Run(o.name, func(t *testing.T) { wantAppError(t, o.call(), o.typ) })
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d API requests were sent; every input should have been refused first", n)
	}
}

func TestKubeNotFoundIsNonRetryable(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "notfound")
	a := &KubeActivities{Client: k.Client}
	missing := KubeTarget{Kind: KindDeployment, Namespace: ns, Name: "nope"}
	cases := []struct {
		name string
		call func() error
	}{
		{"scale read", func() error {
			_, err := runKube[KubeScaleState](t, a, a.KubeScaleRead, KubeScaleReadInput{Target: missing})
			return err
		}},
		{"scale apply", func() error {
			_, err := runKube[KubeScaleResult](t, a, a.KubeScaleApply, KubeScaleApplyInput{Target: missing, Replicas: 1})
			return err
		}},
		{"restart apply", func() error {
			_, err := runKube[KubeRestartResult](t, a, a.KubeRestartApply, KubeRestartApplyInput{Target: missing, RestartedAt: "2026-11-23T10:00:00Z"})
			return err
		}},
		{"configmap read", func() error {
			_, err := runKube[KubeConfigMapState](t, a, a.KubeConfigMapRead, KubeConfigMapKeyInput{Namespace: ns, Name: "nope", Key: "k"})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantAppError(t, tc.call(), kube.ErrTypeNotFound) })
	}
}

// TestWorsePod is a narrow unit test of delete-pod's ordering.
func TestWorsePod(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	pod := func(name string, ready bool, restarts int32, age time.Duration) corev1.Pod {
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		return corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(now.Add(-age))},
			Status: corev1.PodStatus{
				Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
				ContainerStatuses: []corev1.ContainerStatus{{RestartCount: restarts}},
			},
		}
	}
	cases := []struct {
		name        string
		worse, less corev1.Pod
	}{
		{"not ready beats restarts", pod("a", false, 0, time.Minute), pod("b", true, 9, time.Hour)},
		{"restarts beat age", pod("a", true, 3, time.Minute), pod("b", true, 1, time.Hour)},
		{"older first", pod("a", true, 1, time.Hour), pod("b", true, 1, time.Minute)},
		{"then name", pod("a", true, 1, time.Hour), pod("b", true, 1, time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !worsePod(&tc.worse, &tc.less) || worsePod(&tc.less, &tc.worse) {
				t.Fatalf("%s should order before %s", tc.worse.Name, tc.less.Name)
			}
		})
	}
}
