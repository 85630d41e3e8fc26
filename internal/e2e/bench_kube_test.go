package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/internal/devserver/devservertest"
	"github.com/firebreak-dev/firebreak/internal/engine"
	"github.com/firebreak-dev/firebreak/internal/testutil"
	"github.com/firebreak-dev/firebreak/workflows"
)

const benchKubeRunbook = `runbook "bench-kube" {
  match    = ["alertname=\"BenchKube\""]
  group_by = ["service"]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.deployment
  }
  diagnose "rollout" {
    kubernetes_rollout {
      target = target.app
    }
  }
  remediate "scale_out" {
    when = diagnosis.rollout.found
    action "scale" {
      kubernetes_scale {
        target = target.app
        set    = "+1"
        max    = 1000
      }
    }
  }
  guardrails {
    cooldown    = "0s"
    max_actions = 1000000
  }
}
`

// BenchmarkAlertToKubeScale measures the time from Alertmanager's webhook
// POST to a Deployment's spec.replicas changing on a real API server,
// through the whole engine: intake, a new incident, a kubernetes_rollout
// diagnosis (Deployment, ReplicaSets, pods, events), the Control
// workflow's slot, the target ledger's permit, the scale read and the
// scale update. The baseline in the same run is the same API work done
// directly with client-go and no durability: the diagnosis reads, then a
// scale read and update.
func BenchmarkAlertToKubeScale(b *testing.B) {
	kube := testutil.SharedKube(b)
	ns := kube.Namespace(b, "bench")
	kube.CreateDeployment(b, ns, "bench", 1, "bench:1")
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bench-kube.hcl"), []byte(benchKubeRunbook), 0o600); err != nil {
		b.Fatal(err)
	}
	srv := devservertest.StartForTest(b)
	eng, err := engine.Start(context.Background(), engine.Options{
		TemporalAddress: srv.FrontendAddr(), Namespace: srv.Namespace(), TaskQueue: "bench-kube", Listen: "127.0.0.1:0",
		Runbooks: loadRunbooks(b, filepath.Join(dir, "bench-kube.hcl")), Kube: kube.Client,
		Settings: workflows.Settings{Linger: time.Minute}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eng.Stop)
	url := "http://" + eng.Addr() + "/webhook/alertmanager"
	ctx := context.Background()
	deployments := kube.Client.AppsV1().Deployments(ns)
	replicas := func() int32 {
		s, err := deployments.GetScale(ctx, "bench", metav1.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return s.Spec.Replicas
	}
	// waitFor watches the Deployment until spec.replicas is want; a watch
	// sees the change when the API server commits it, without polling.
	waitFor := func(want int32) {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		w, err := deployments.Watch(wctx, metav1.ListOptions{FieldSelector: "metadata.name=bench"})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
		if replicas() == want {
			return
		}
		for ev := range w.ResultChan() {
			if d, ok := ev.Object.(*appsv1.Deployment); ok && d.Spec.Replicas != nil && *d.Spec.Replicas == want {
				return
			}
		}
		b.Fatalf("replicas did not reach %d within 30s", want)
	}

	var viaEngine, direct []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		want := replicas() + 1
		body := alertBodyLabels(map[string]string{"alertname": "BenchKube", "service": fmt.Sprintf("bench-%d-%d", b.N, i), "namespace": ns, "deployment": "bench"})
		b.StartTimer()
		t0 := time.Now()
		resp, err := http.Post(url, "application/json", bytes.NewReader(body))
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("webhook: %v %v", err, resp)
		}
		resp.Body.Close()
		waitFor(want)
		viaEngine = append(viaEngine, time.Since(t0))

		// Baseline: the diagnosis reads and the scale, straight to the API.
		t1 := time.Now()
		if _, err := deployments.Get(ctx, "bench", metav1.GetOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := kube.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := kube.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := kube.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{}); err != nil {
			b.Fatal(err)
		}
		// As the activity does: re-read and retry when the controller's
		// status write races the update.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			s, err := deployments.GetScale(ctx, "bench", metav1.GetOptions{})
			if err != nil {
				return err
			}
			s.Spec.Replicas++
			_, err = deployments.UpdateScale(ctx, "bench", &autoscalingv1.Scale{ObjectMeta: s.ObjectMeta, Spec: s.Spec}, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		direct = append(direct, time.Since(t1))
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		b.ReportMetric(float64(d[len(d)/2])/1e6, name+"-p50-ms")
		b.ReportMetric(float64(d[(len(d)-1)*99/100])/1e6, name+"-p99-ms")
	}
	report("engine", viaEngine)
	report("direct", direct)
}

// alertBodyLabels is a one-alert Alertmanager webhook body with the given
// labels.
func alertBodyLabels(labels map[string]string) []byte {
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": "firing", "receiver": "firebreak", "groupKey": "{}:{service=\"" + labels["service"] + "\"}",
		"alerts": []map[string]any{{
			"status": "firing", "labels": labels,
			"startsAt": time.Now().UTC().Format(time.RFC3339Nano), "fingerprint": labels["service"],
		}},
	})
	return body
}
