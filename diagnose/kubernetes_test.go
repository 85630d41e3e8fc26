package diagnose

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/integrations/kube"
	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// TestMain shares one Kubernetes control plane among the package's tests.
func TestMain(m *testing.M) { os.Exit(testutil.KubeMain(m)) }

// diagnoseKube runs KubeDiagnose in Temporal's activity test environment.
func diagnoseKube(t *testing.T, a *KubeActivities, in KubeDiagnoseInput) (KubeDiagnosis, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.KubeDiagnose, in)
	if err != nil {
		return KubeDiagnosis{}, err
	}
	var out KubeDiagnosis
	if err := val.Get(&out); err != nil {
		t.Fatalf("decode result: %v", err)
	}
	return out, nil
}

func TestKubeDiagnoseDeployment(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "diagnose")
	ctx := context.Background()
	d := k.CreateDeployment(t, ns, "shop", 2, "registry.invalid/shop:1")
	k.WaitDeploymentReady(t, ns, "shop", 2)
	// The bad deploy, with its change-cause.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := k.Client.AppsV1().Deployments(ns).Get(ctx, d.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Annotations[changeCauseAnnotation] = "deploy shop:2 by ci"
		d.Spec.Template.Spec.Containers[0].Image = "registry.invalid/shop:2"
		_, err = k.Client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	k.WaitDeploymentReady(t, ns, "shop", 2)

	// One pod crash-loops after an OOM kill: kwok has no kubelet, so the
	// status a kubelet would report is written directly.
	pods, err := k.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=shop"})
	if err != nil {
		t.Fatal(err)
	}
	var sick *corev1.Pod
	for i := range pods.Items {
		if pods.Items[i].DeletionTimestamp == nil && pods.Items[i].Spec.Containers[0].Image == "registry.invalid/shop:2" {
			sick = &pods.Items[i]
			break
		}
	}
	if sick == nil {
		t.Fatal("no pod of the new revision")
	}
	sick.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "app", Image: "registry.invalid/shop:2", RestartCount: 4,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}},
	}}
	for i, c := range sick.Status.Conditions {
		if c.Type == corev1.PodReady || c.Type == corev1.ContainersReady {
			sick.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	if _, err := k.Client.CoreV1().Pods(ns).UpdateStatus(ctx, sick, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	a := &KubeActivities{Client: k.Client}
	in := KubeDiagnoseInput{Kind: "deployment", Namespace: ns, Name: "shop", LogLines: 50, LogBytes: 4096,
		Classify: map[string]string{"oom": `OutOfMemory`}}
	var got KubeDiagnosis
	testutil.PollUntil(t, time.Minute, "diagnosis seeing the crash-looping pod", func() (bool, error) {
		got, err = diagnoseKube(t, a, in)
		return err == nil && got.Pods.Ready == 1 && got.Pods.Total == 2, err
	})

	r := got.Rollout
	if r.Revision != 2 || r.Images[0].Image != "registry.invalid/shop:2" || r.ChangeCause != "deploy shop:2 by ci" {
		t.Errorf("rollout revision %d images %v change-cause %q", r.Revision, r.Images, r.ChangeCause)
	}
	if len(r.History) != 2 || r.History[0].Revision != 2 || r.History[1].Revision != 1 ||
		r.History[1].Images[0] != "registry.invalid/shop:1" {
		t.Errorf("history = %+v", r.History)
	}
	if r.LastRolloutAt.IsZero() || r.Age < 0 || r.Age > 5*time.Minute {
		t.Errorf("last rollout at %s, age %s", r.LastRolloutAt, r.Age)
	}
	p := got.Pods
	if p.Restarts != 4 || p.TerminationReasons["OOMKilled"] != 1 || p.WaitingReasons["CrashLoopBackOff"] != 1 ||
		p.Phases["Running"] != 2 {
		t.Errorf("pods = %+v", p)
	}
	if p.Pods[0].Name != sick.Name || p.Pods[0].LastTerminationReason != "OOMKilled" || p.Pods[0].Ready {
		t.Errorf("worst pod = %+v, want %s first", p.Pods[0], sick.Name)
	}
	reasons := map[string]bool{}
	for _, e := range got.Events {
		reasons[e.Reason] = true
	}
	if !reasons["ScalingReplicaSet"] || !reasons["Scheduled"] {
		t.Errorf("events = %+v, want the deployment's ScalingReplicaSet and the pods' Scheduled", got.Events)
	}
	// kwok runs no containers: logs are unavailable, which is a warning.
	if got.Class != ClassUnknown || len(got.Warnings) == 0 || len(got.Logs.Pods) == 0 || got.Logs.Pods[0] != sick.Name {
		t.Errorf("class %q warnings %v log pods %v", got.Class, got.Warnings, got.Logs.Pods)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 16<<10 {
		t.Errorf("diagnosis is %d bytes of JSON; it should stay small", len(b))
	}
}

func TestKubeDiagnoseStatefulSet(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "diagnose-sts")
	ctx := context.Background()
	two := int32(2)
	labels := map[string]string{"app": "db"}
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &two, ServiceName: "db",
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "registry.invalid/db:1"}}},
			},
		},
	}
	if _, err := k.Client.AppsV1().StatefulSets(ns).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a := &KubeActivities{Client: k.Client}
	var got KubeDiagnosis
	testutil.PollUntil(t, time.Minute, "statefulset diagnosed ready", func() (bool, error) {
		var err error
		got, err = diagnoseKube(t, a, KubeDiagnoseInput{Kind: "StatefulSet", Namespace: ns, Name: "db"})
		return err == nil && got.Rollout.Complete && got.Pods.Ready == 2, err
	})
	if got.Rollout.Revision != 1 || got.Rollout.Images[0].Image != "registry.invalid/db:1" || got.Rollout.LastRolloutAt.IsZero() {
		t.Fatalf("rollout = %+v", got.Rollout)
	}
}

func TestKubeDiagnoseErrors(t *testing.T) {
	k := testutil.SharedKube(t)
	ns := k.Namespace(t, "diagnose-errors")
	a := &KubeActivities{Client: k.Client}
	cases := []struct {
		name string
		in   KubeDiagnoseInput
		typ  string
	}{
		{"missing deployment", KubeDiagnoseInput{Kind: "Deployment", Namespace: ns, Name: "nope"}, kube.ErrTypeNotFound},
		{"namespace ../", KubeDiagnoseInput{Kind: "Deployment", Namespace: "../x", Name: "shop"}, kube.ErrTypeInvalidName},
		{"uppercase name", KubeDiagnoseInput{Kind: "Deployment", Namespace: ns, Name: "Shop"}, kube.ErrTypeInvalidName},
		{"300 characters", KubeDiagnoseInput{Kind: "Deployment", Namespace: ns, Name: strings.Repeat("a", 300)}, kube.ErrTypeInvalidName},
		{"semicolon", KubeDiagnoseInput{Kind: "Deployment", Namespace: "a;b", Name: "shop"}, kube.ErrTypeInvalidName},
		{"newline", KubeDiagnoseInput{Kind: "Deployment", Namespace: ns, Name: "shop\n"}, kube.ErrTypeInvalidName},
		{"daemonset", KubeDiagnoseInput{Kind: "DaemonSet", Namespace: ns, Name: "shop"}, kube.ErrTypeInvalidInput},
		{"bad pattern", KubeDiagnoseInput{Kind: "Deployment", Namespace: ns, Name: "shop", Classify: map[string]string{"x": "("}}, kube.ErrTypeInvalidInput},
		{"too many lines", KubeDiagnoseInput{Kind: "Deployment", Namespace: ns, Name: "shop", LogLines: maxLogLines + 1}, kube.ErrTypeInvalidInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := diagnoseKube(t, a, tc.in)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != tc.typ || !appErr.NonRetryable() {
				t.Fatalf("error %v, want non-retryable %s", err, tc.typ)
			}
		})
	}
}

// TestClassify tests classification on supplied log text: pods under kwok
// have no logs.
func TestClassify(t *testing.T) {
	logs := strings.Split(strings.TrimSpace(`
2026-11-23T10:00:00Z ERROR pq: sorry, too many clients already
2026-11-23T10:00:01Z ERROR pq: sorry, too many clients already
2026-11-23T10:00:01Z WARN slow request /checkout 2.1s
2026-11-23T10:00:02Z ERROR dial tcp 10.0.0.7:5432: connect: connection refused
2026-11-23T10:00:03Z ERROR pq: sorry, too many clients already`), "\n")
	cases := []struct {
		name      string
		patterns  map[string]string
		want      string
		wantN     map[string]int
		wantFirst string
	}{
		{
			name:      "most matching lines wins",
			patterns:  map[string]string{"pool_exhausted": `too many clients`, "db_down": `connection refused`},
			want:      "pool_exhausted",
			wantN:     map[string]int{"pool_exhausted": 3, "db_down": 1},
			wantFirst: logs[0],
		},
		{
			name:      "ties go to the first class in sort order",
			patterns:  map[string]string{"b_slow": `slow request`, "a_refused": `connection refused`},
			want:      "a_refused",
			wantN:     map[string]int{"b_slow": 1, "a_refused": 1},
			wantFirst: logs[3],
		},
		{
			name:     "no match is unknown",
			patterns: map[string]string{"oom": `OutOfMemory`},
			want:     ClassUnknown,
			wantN:    map[string]int{"oom": 0},
		},
		{
			name:  "no patterns is unknown",
			want:  ClassUnknown,
			wantN: map[string]int{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := KubeDiagnoseInput{Kind: "Deployment", Namespace: "ns", Name: "n", Classify: tc.patterns}
			_, patterns, err := validateDiagnose("test", &in)
			if err != nil {
				t.Fatal(err)
			}
			class, n, sample := classify(logs, patterns)
			if class != tc.want {
				t.Errorf("class = %q, want %q", class, tc.want)
			}
			for c, want := range tc.wantN {
				if n[c] != want {
					t.Errorf("matches[%s] = %d, want %d", c, n[c], want)
				}
			}
			if tc.wantFirst != "" && (len(sample) == 0 || sample[0] != tc.wantFirst) {
				t.Errorf("sample = %q, want first %q", sample, tc.wantFirst)
			}
			if tc.wantFirst == "" && len(sample) != 0 {
				t.Errorf("sample = %q, want none", sample)
			}
		})
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	s := strings.Repeat("é", maxTextBytes)
	got := truncate(s)
	if len(got) > maxTextBytes+3 || !regexp.MustCompile(`^(é)+\.\.\.$`).MatchString(got) {
		t.Fatalf("truncate = %q (%d bytes)", got, len(got))
	}
}
