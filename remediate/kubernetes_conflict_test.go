package remediate

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestKubeConflictsAreRetriedWithAFreshRead is a narrow unit test on the
// fake clientset (a real API server cannot be made to conflict on demand):
// a 409 on update is retried with a new read a bounded number of times,
// and when conflicts persist the error stays retryable for the activity's
// retry policy.
func TestKubeConflictsAreRetriedWithAFreshRead(t *testing.T) {
	cases := []struct {
		name       string
		conflicts  int
		wantErr    bool
		wantGets   int
		wantWrites int
	}{
		{name: "two conflicts then success", conflicts: 2, wantGets: 3, wantWrites: 3},
		{name: "conflicts forever", conflicts: 1000, wantErr: true, wantGets: conflictBackoff.Steps, wantWrites: conflictBackoff.Steps},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			one := int32(1)
			client := fake.NewClientset(&appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
				Spec: appsv1.DeploymentSpec{Replicas: &one, Template: corev1.PodTemplateSpec{
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
				}},
			})
			gets, writes := 0, 0
			client.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
				gets++
				return false, nil, nil
			})
			client.PrependReactor("update", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
				writes++
				if writes <= tc.conflicts {
					return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", nil)
				}
				return false, nil, nil
			})
			a := &KubeActivities{Client: client}
			target := KubeTarget{Kind: KindDeployment, Namespace: "shop", Name: "web"}
			_, err := runKube[KubeEnvResult](t, a, a.KubeSetEnvApply, KubeSetEnvInput{Target: target, Name: "POOL", Value: "5"})
			if tc.wantErr {
				wantAppError(t, err, "")
			} else if err != nil {
				t.Fatal(err)
			}
			if gets != tc.wantGets || writes != tc.wantWrites {
				t.Fatalf("gets %d writes %d, want %d and %d", gets, writes, tc.wantGets, tc.wantWrites)
			}
			d, err := client.AppsV1().Deployments("shop").Get(context.Background(), "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if env := d.Spec.Template.Spec.Containers[0].Env; !tc.wantErr && (len(env) != 1 || env[0].Value != "5") {
				t.Fatalf("env = %v", env)
			}
		})
	}
}
