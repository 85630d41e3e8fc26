// Command cluster is the bad-deploy scenario's Kubernetes: it starts the
// same local control plane the tests use (internal/testutil.StartKube:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok,
// all on 127.0.0.1), and rolls images out and reports on them without
// needing kubectl.
//
//	cluster up     --dir DIR [--namespace shop] [--deployment checkout] [--image IMG] [--replicas 3]
//	cluster deploy --kubeconfig F [--namespace shop] [--deployment checkout] --image IMG [--wait 60s]
//	cluster status --kubeconfig F [--namespace shop] [--deployment checkout]
//
// `up` writes DIR/kubeconfig (an admin kubeconfig), creates the namespace
// and a Deployment of --replicas pods at --image, waits until they are
// Ready, writes DIR/ready and runs until SIGINT or SIGTERM, when it stops
// every server it started. It needs the binaries scripts/build-kube.sh
// builds into ~/.cache/firebreak/bin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// changeCauseAnnotation is what `kubectl rollout history` shows per
// revision; the runbook's diagnosis reports it too.
const changeCauseAnnotation = "kubernetes.io/change-cause"

const usage = `usage:
  cluster up     --dir DIR [--namespace NS] [--deployment NAME] [--image IMG] [--replicas N]
  cluster deploy --kubeconfig FILE [--namespace NS] [--deployment NAME] --image IMG [--wait D]
  cluster status --kubeconfig FILE [--namespace NS] [--deployment NAME]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = up(ctx, os.Args[2:], os.Stdout, os.Stderr)
	case "deploy":
		err = deploy(ctx, os.Args[2:], os.Stdout, os.Stderr)
	case "status":
		err = status(ctx, os.Args[2:], os.Stdout, os.Stderr)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		err = fmt.Errorf("unknown command %q\n%s", os.Args[1], usage)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "cluster %s: %v\n", os.Args[1], err)
		os.Exit(2)
	}
}

// workload flags shared by the subcommands.
type workload struct {
	namespace, deployment string
}

func (w *workload) flags(fs *flag.FlagSet) {
	fs.StringVar(&w.namespace, "namespace", "shop", "namespace of the Deployment")
	fs.StringVar(&w.deployment, "deployment", "checkout", "name of the Deployment")
}

func up(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var w workload
	w.flags(fs)
	dir := fs.String("dir", "", "where kubeconfig and ready are written (required)")
	image := fs.String("image", "registry.example/shop/checkout:1.4.2", "the Deployment's first image")
	replicas := fs.Int("replicas", 3, "the Deployment's replicas")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--dir is required")
	}
	if *replicas < 1 || *replicas > 50 {
		return fmt.Errorf("--replicas %d is not in 1..50", *replicas)
	}
	o := &owner{out: stderr}
	var kube *testutil.Kube
	// StartKube reports failures through the owner, which ends the calling
	// goroutine as t.Fatal would: run it on its own.
	o.do(func() {
		kube = testutil.StartKube(o)
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.namespace}}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := kube.Client.CoreV1().Namespaces().Create(cctx, ns, metav1.CreateOptions{}); err != nil {
			o.Fatalf("create namespace %s: %v", w.namespace, err)
		}
		kube.CreateDeployment(o, w.namespace, w.deployment, int32(*replicas), *image)
		kube.WaitDeploymentReady(o, w.namespace, w.deployment, int32(*replicas))
	})
	defer o.finish()
	if msg := o.failure(); msg != "" {
		return errors.New(msg)
	}
	raw, err := os.ReadFile(kube.Kubeconfig)
	if err != nil {
		return err
	}
	kc := filepath.Join(*dir, "kubeconfig")
	if err := os.WriteFile(kc, raw, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "ready"), []byte(kube.Config.Host+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cluster: API server %s; kubeconfig %s; deployment %s/%s at %s, %d ready (server logs in %s until it stops)\n",
		kube.Config.Host, kc, w.namespace, w.deployment, *image, *replicas, kube.Dir)
	<-ctx.Done()
	fmt.Fprintln(stdout, "cluster: stopping")
	return nil
}

func client(kubeconfig string) (kubernetes.Interface, error) {
	if kubeconfig == "" {
		return nil, errors.New("--kubeconfig is required")
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	return kubernetes.NewForConfig(rc)
}

// deploy sets the image of the Deployment's containers, as `kubectl set
// image` would, recording a change-cause, and waits for the rollout.
func deploy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var w workload
	w.flags(fs)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig (default $KUBECONFIG)")
	image := fs.String("image", "", "the new image (required)")
	wait := fs.Duration("wait", time.Minute, "wait this long for the rollout to complete (0: do not wait)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *image == "" {
		return errors.New("--image is required")
	}
	c, err := client(*kubeconfig)
	if err != nil {
		return err
	}
	deps := c.AppsV1().Deployments(w.namespace)
	var generation int64
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := deps.Get(ctx, w.deployment, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for i := range d.Spec.Template.Spec.Containers {
			d.Spec.Template.Spec.Containers[i].Image = *image
		}
		if d.Annotations == nil {
			d.Annotations = map[string]string{}
		}
		d.Annotations[changeCauseAnnotation] = "deploy " + *image
		got, err := deps.Update(ctx, d, metav1.UpdateOptions{})
		if err == nil {
			generation = got.Generation
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cluster: deployment %s/%s set to %s\n", w.namespace, w.deployment, *image)
	if *wait <= 0 {
		return nil
	}
	deadline := time.Now().Add(*wait)
	for {
		d, err := deps.Get(ctx, w.deployment, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s, want := d.Status, int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if s.ObservedGeneration >= generation && s.UpdatedReplicas == want && s.ReadyReplicas == want && s.Replicas == want {
			fmt.Fprintf(stdout, "cluster: rollout complete: revision %s, %d/%d ready\n", d.Annotations["deployment.kubernetes.io/revision"], s.ReadyReplicas, want)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rollout not complete after %s: %d updated, %d ready of %d", *wait, s.UpdatedReplicas, s.ReadyReplicas, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// status prints the Deployment's revision and images and its ReplicaSets,
// newest revision first, like `kubectl rollout history`.
func status(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var w workload
	w.flags(fs)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig (default $KUBECONFIG)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := client(*kubeconfig)
	if err != nil {
		return err
	}
	d, err := c.AppsV1().Deployments(w.namespace).Get(ctx, w.deployment, metav1.GetOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deployment %s/%s revision %s: %s; %d/%d ready, %d updated\n", w.namespace, w.deployment,
		d.Annotations["deployment.kubernetes.io/revision"], images(d.Spec.Template), d.Status.ReadyReplicas, d.Status.Replicas, d.Status.UpdatedReplicas)
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return err
	}
	rss, err := c.AppsV1().ReplicaSets(w.namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return err
	}
	sort.Slice(rss.Items, func(i, j int) bool {
		ri, _ := strconv.Atoi(rss.Items[i].Annotations["deployment.kubernetes.io/revision"])
		rj, _ := strconv.Atoi(rss.Items[j].Annotations["deployment.kubernetes.io/revision"])
		return ri > rj
	})
	for _, rs := range rss.Items {
		fmt.Fprintf(stdout, "  replicaset %s revision %s: %s; %d replicas; created %s\n", rs.Name,
			rs.Annotations["deployment.kubernetes.io/revision"], images(rs.Spec.Template), rs.Status.Replicas,
			rs.CreationTimestamp.UTC().Format(time.RFC3339))
	}
	return nil
}

func images(t corev1.PodTemplateSpec) string {
	var out []string
	for _, c := range t.Spec.Containers {
		out = append(out, c.Name+"="+c.Image)
	}
	return strings.Join(out, ", ")
}

// owner stands in for the testing.TB that testutil's starters expect, for a
// program: cleanups run when the program stops, and a failure ends the
// goroutine that reported it (as t.Fatal does) with its message recorded.
// Methods it does not define are not called by StartKube.
type owner struct {
	testing.TB
	out io.Writer

	mu       sync.Mutex
	cleanups []func()
	msg      string
	failed   bool
}

// do runs f on its own goroutine and waits for it, so that Fatalf can end
// it with runtime.Goexit.
func (o *owner) do(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func (o *owner) Helper()         {}
func (o *owner) Name() string    { return "bad-deploy-cluster" }
func (o *owner) Log(args ...any) { fmt.Fprintln(o.out, append([]any{"cluster:"}, args...)...) }
func (o *owner) Logf(format string, args ...any) {
	fmt.Fprintf(o.out, "cluster: "+format+"\n", args...)
}
func (o *owner) Errorf(format string, args ...any) {
	o.mu.Lock()
	o.failed = true
	o.mu.Unlock()
	o.Logf(format, args...)
}
func (o *owner) Error(args ...any)                 { o.Errorf("%s", fmt.Sprint(args...)) }
func (o *owner) Fatalf(format string, args ...any) { o.end(fmt.Sprintf(format, args...)) }
func (o *owner) Fatal(args ...any)                 { o.end(fmt.Sprint(args...)) }
func (o *owner) Skip(args ...any)                  { o.end(fmt.Sprint(args...)) }
func (o *owner) Skipf(format string, args ...any)  { o.end(fmt.Sprintf(format, args...)) }
func (o *owner) FailNow()                          { o.end("failed") }
func (o *owner) Fail()                             { o.mu.Lock(); o.failed = true; o.mu.Unlock() }

// Failed is true after a failure, so stopped servers print their log tails.
func (o *owner) Failed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed
}

func (o *owner) Cleanup(f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cleanups = append(o.cleanups, f)
}

func (o *owner) end(msg string) {
	o.mu.Lock()
	if o.msg == "" {
		o.msg = msg
	}
	o.failed = true
	o.mu.Unlock()
	runtime.Goexit()
}

func (o *owner) failure() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.msg
}

// finish runs the cleanups, last registered first: every server stops.
func (o *owner) finish() {
	o.mu.Lock()
	cleanups := o.cleanups
	o.cleanups = nil
	o.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
}
