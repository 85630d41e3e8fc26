package simapp

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.KubeMain(m)) }

func TestIsBad(t *testing.T) {
	listed := []string{"registry.example/shop/checkout:1.5.0", "bad:2"}
	for img, want := range map[string]bool{
		"registry.example/shop/checkout:1.5.0": true,
		"registry.example/shop/checkout:1.4.2": false,
		"bad:2":                                true,
		"good:1":                               false,
		"checkout:bad":                         true,
		"registry.example:5000/checkout:bad":   true,
		"registry.example:5000/bad":            false, // a port, not a tag
		"checkout:bad@sha256:0123":             true,
		"checkout:badly":                       false,
	} {
		if got := IsBad(img, listed); got != want {
			t.Errorf("IsBad(%q) = %v, want %v", img, got, want)
		}
	}
}

func total(st Status) int {
	n := 0
	for _, v := range st.Requests {
		n += v
	}
	return n
}

// TestErrorsFollowTheRollout runs the service against a real API server:
// no errors at a good image, 40% once every Ready pod runs the bad one.
func TestErrorsFollowTheRollout(t *testing.T) {
	kube := testutil.SharedKube(t)
	ns := kube.Namespace(t, "simapp")
	kube.CreateDeployment(t, ns, "checkout", 2, "good:1")
	kube.WaitDeploymentReady(t, ns, "checkout", 2)

	app, err := New(Config{Client: kube.Client, Namespace: ns, Deployment: "checkout", BadImages: []string{"bad:2"},
		RPS: 200, Refresh: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// measure waits until every Ready pod is as bad as wantBad and then
	// returns the share of 500s among the next 200 requests.
	measure := func(wantBad bool) float64 {
		t.Helper()
		var start Status
		testutil.PollUntil(t, 30*time.Second, "two Ready pods in the service's view", func() (bool, error) {
			start = app.Status()
			ready, bad := start.Serving()
			return ready == 2 && (bad == 2) == wantBad && (bad == 0) == !wantBad, nil
		})
		var end Status
		testutil.PollUntil(t, 30*time.Second, "200 more requests", func() (bool, error) {
			end = app.Status()
			return total(end)-total(start) >= 200, nil
		})
		if ready, bad := end.Serving(); ready != 2 || (bad == 2) != wantBad {
			t.Fatalf("the view changed while measuring: %+v", end.Pods)
		}
		return float64(end.Requests["500"]-start.Requests["500"]) / float64(total(end)-total(start))
	}
	if r := measure(false); r != 0 {
		t.Fatalf("error ratio at good:1 = %g, want 0", r)
	}

	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := kube.Client.AppsV1().Deployments(ns).Get(ctx, "checkout", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Template.Spec.Containers[0].Image = "bad:2"
		_, err = kube.Client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	kube.WaitDeploymentReady(t, ns, "checkout", 2)
	if r := measure(true); r < 0.39 || r > 0.41 {
		t.Fatalf("error ratio at bad:2 = %g, want 0.4", r)
	}
	st := app.Status()
	if st.Revision != "2" || len(st.Images) != 1 || st.Images[0] != "bad:2" {
		t.Fatalf("status = %+v, want revision 2 at bad:2", st)
	}

	rec := httptest.NewRecorder()
	app.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`http_requests_total{code="500",namespace="` + ns + `",service="checkout"}`,
		`simapp_serving_pods{image="bad:2",namespace="` + ns + `",service="checkout"} 2`,
		`simapp_bad_image{image="bad:2",namespace="` + ns + `",service="checkout"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
}
