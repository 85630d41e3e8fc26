package testutil

import (
	"context"
	_ "embed" // the kwok stages file
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Versions of the Kubernetes binaries StartKube runs. scripts/build-kube.sh
// builds exactly these into kubeBinDir; keep the two in step.
const (
	EtcdVersion = "v3.6.6"
	KubeVersion = "v1.37.2"
	KwokVersion = "v0.8.0"
)

// kubeBuildHint is what a developer runs to get the Kubernetes binaries.
const kubeBuildHint = "scripts/build-kube.sh (15-20 min once; cached in ~/.cache/firebreak/bin)"

// Readiness deadlines. Measured on a 2-core machine: etcd is up in about a
// second, the apiserver 6-7 s later; the deadlines leave room for a machine
// busy with other builds.
const (
	etcdReadyTimeout      = 30 * time.Second
	apiserverReadyTimeout = 90 * time.Second
	workloadReadyTimeout  = 90 * time.Second
)

// KubeNodeName is the fake node kwok keeps Ready; every test pod runs on it.
const KubeNodeName = "kwok-node-0"

// kwokStages are kwok's own node and pod stages (see the file's header):
// standalone kwok has none built in, and without them the fake node never
// becomes Ready and pods stay Pending.
//
//go:embed kwok-stages.yaml
var kwokStages []byte

// Kube is a running Kubernetes control plane owned by one test or, through
// SharedKube, by one test binary: etcd, kube-apiserver,
// kube-controller-manager (deployments, replicasets, statefulsets, garbage
// collection), kube-scheduler and kwok managing one fake node, so a
// Deployment gets Pods that are scheduled and become Ready without kubelets.
// Pods have no containers running, so there are no pod logs.
type Kube struct {
	Config     *rest.Config         // admin (system:masters) client-certificate config
	Client     kubernetes.Interface // a client built from Config
	Kubeconfig string               // path of an admin kubeconfig file for Config
	Dir        string               // holds certificates, etcd's data and every server's log
}

// StartKube starts a fresh control plane for one test and stops it when the
// test ends. Start-up takes about 10 s; prefer SharedKube when a package's
// tests can share a cluster by using separate namespaces. The binaries are
// looked up in ~/.cache/firebreak/bin by versioned name; when one is missing
// the test is skipped naming scripts/build-kube.sh, or fails when CI=true.
func StartKube(t testing.TB) *Kube {
	t.Helper()
	return startKube(t)
}

// shared is the package-wide cluster SharedKube hands out and KubeMain
// stops.
var shared struct {
	mu      sync.Mutex
	active  bool          // KubeMain is running the tests
	started bool          // a start was attempted
	kube    *Kube         // the running cluster; nil when start failed
	failure string        // why the start failed or was skipped
	skipped bool          // the start was skipped (binaries missing), not failed
	owner   *clusterOwner // runs the cluster's cleanups after m.Run
}

// KubeMain runs a package's tests and then stops the cluster SharedKube
// started, if any; call it from TestMain as os.Exit(testutil.KubeMain(m)).
// The cluster's processes run in their own process groups, so without
// KubeMain they would outlive the test binary.
func KubeMain(m *testing.M) int {
	shared.mu.Lock()
	shared.active = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	owner := shared.owner
	shared.active = false
	shared.mu.Unlock()
	if owner != nil {
		owner.finish(code != 0)
	}
	return code
}

// SharedKube returns the test binary's cluster, starting it on first use
// (about 10 s) so the package's tests share one start-up. Tests must isolate
// themselves with their own namespaces (Kube.Namespace). The package's
// TestMain must run the tests through KubeMain, which stops the cluster. A
// start that failed or was skipped fails or skips every caller alike.
func SharedKube(t testing.TB) *Kube {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.active {
		t.Fatal("testutil.SharedKube needs the package's TestMain to call os.Exit(testutil.KubeMain(m))")
	}
	if !shared.started {
		shared.started = true
		shared.owner = &clusterOwner{TB: t}
		done := make(chan struct{})
		// startKube reports failures through the owner with t.Fatal/t.Skip,
		// which end the calling goroutine; run it on its own goroutine so
		// the outcome can be recorded for later callers either way.
		go func() {
			defer close(done)
			shared.kube = startKube(shared.owner)
		}()
		<-done
		if shared.kube == nil {
			shared.failure, shared.skipped = shared.owner.outcome()
		}
	}
	if shared.kube == nil {
		if shared.skipped {
			t.Skip(shared.failure)
		}
		t.Fatalf("shared kubernetes cluster did not start: %s", shared.failure)
	}
	return shared.kube
}

// clusterOwner stands in for the testing.TB of a cluster that outlives the
// test that started it: cleanups run when KubeMain finishes, and failures
// during start-up are recorded so every SharedKube caller reports them.
// Methods it does not override (Helper, Name, ...) reach the first test.
type clusterOwner struct {
	testing.TB

	mu        sync.Mutex
	cleanups  []func()
	failure   string
	skipped   bool
	runFailed bool // set by finish: the test run failed, so logs are printed
}

// Cleanup defers f to the end of the test binary.
func (o *clusterOwner) Cleanup(f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cleanups = append(o.cleanups, f)
}

// Fatalf records the failure and ends the start-up goroutine.
func (o *clusterOwner) Fatalf(format string, args ...any) {
	o.end(fmt.Sprintf(format, args...), false)
}

// Fatal records the failure and ends the start-up goroutine.
func (o *clusterOwner) Fatal(args ...any) { o.end(fmt.Sprint(args...), false) }

// Skip records why the cluster cannot start and ends the start-up goroutine.
func (o *clusterOwner) Skip(args ...any) { o.end(fmt.Sprint(args...), true) }

// Logf writes to stderr: the test that started the cluster may be over.
func (o *clusterOwner) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testutil kube: "+format+"\n", args...)
}

// Failed reports whether the test run failed, so server logs are printed
// then.
func (o *clusterOwner) Failed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.runFailed || o.failure != ""
}

// end records a failure and exits the start-up goroutine, as t.Fatal would.
func (o *clusterOwner) end(msg string, skip bool) {
	o.mu.Lock()
	if o.failure == "" {
		o.failure, o.skipped = msg, skip
	}
	o.mu.Unlock()
	o.Logf("%s", msg)
	// Stop what was started so far; nothing else will.
	o.finish(true)
	runtime.Goexit()
}

// outcome returns the recorded failure.
func (o *clusterOwner) outcome() (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failure == "" {
		return "start-up ended without a cluster", false
	}
	return o.failure, o.skipped
}

// finish runs the registered cleanups, last registered first.
func (o *clusterOwner) finish(failed bool) {
	o.mu.Lock()
	o.runFailed = o.runFailed || failed
	cleanups := o.cleanups
	o.cleanups = nil
	o.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
}

// kubeBinary returns the cached binary name-version, or skips (fails when
// CI=true) naming the build script.
func kubeBinary(t testing.TB, name, version string) string {
	t.Helper()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatalf("kubernetes binaries: home directory: %v", err)
	}
	path := filepath.Join(home, ".cache", "firebreak", "bin", name+"-"+version)
	if st, err := os.Stat(path); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return path
	}
	msg := fmt.Sprintf("%s %s not built (looked for %s); build it with: %s", name, version, path, kubeBuildHint)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startKube starts the whole stack for t (a test or a clusterOwner).
func startKube(t testing.TB) *Kube {
	t.Helper()
	bins := map[string]string{
		"etcd":                    kubeBinary(t, "etcd", EtcdVersion),
		"kube-apiserver":          kubeBinary(t, "kube-apiserver", KubeVersion),
		"kube-controller-manager": kubeBinary(t, "kube-controller-manager", KubeVersion),
		"kube-scheduler":          kubeBinary(t, "kube-scheduler", KubeVersion),
		"kwok":                    kubeBinary(t, "kwok", KwokVersion),
	}
	dir, err := os.MkdirTemp("", "firebreak-kube-")
	if err != nil {
		t.Fatalf("kube temp dir: %v", err)
	}
	// Registered first, so it runs after every server has stopped.
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("remove %s: %v", dir, err)
		}
	})
	start := time.Now()
	pki := writeKubePKI(t, dir)

	etcdURL := startEtcd(t, dir, bins["etcd"])
	t.Logf("etcd ready after %s", time.Since(start).Round(10*time.Millisecond))

	k := &Kube{Dir: dir}
	port := FreePort(t)
	host := "https://127.0.0.1:" + strconv.Itoa(port)
	apiserver := startProcess(t, "kube-apiserver", dir, nil, syscall.SIGTERM, bins["kube-apiserver"],
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file="+pki.servingCert,
		"--tls-private-key-file="+pki.servingKey,
		"--client-ca-file="+pki.caCert,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+pki.saPublic,
		"--service-account-signing-key-file="+pki.saPrivate,
		"--service-cluster-ip-range=10.96.0.0/16",
		// TaintNodesByCondition would taint the fake node not-ready, and
		// no node-lifecycle controller runs to lift the taint.
		"--disable-admission-plugins=ServiceAccount,TaintNodesByCondition",
		"--profiling=false",
	)
	k.Config = &rest.Config{
		Host: host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   pki.ca.certPEM,
			CertData: pki.admin.certPEM,
			KeyData:  pki.admin.keyPEM,
		},
		QPS:   200,
		Burst: 400,
	}
	client, err := kubernetes.NewForConfig(k.Config)
	if err != nil {
		t.Fatalf("kubernetes client: %v", err)
	}
	k.Client = client
	apiserver.waitReady(t, apiserverReadyTimeout, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return false, err
		}
		return string(body) == "ok", nil
	})
	t.Logf("kube-apiserver ready after %s", time.Since(start).Round(10*time.Millisecond))

	k.Kubeconfig = filepath.Join(dir, "admin.kubeconfig")
	writeKubeconfig(t, k.Kubeconfig, host, pki.ca.certPEM, pki.admin)

	startProcess(t, "kube-controller-manager", dir, nil, syscall.SIGTERM, bins["kube-controller-manager"],
		"--kubeconfig="+k.Kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--bind-address=127.0.0.1",
		"--controllers=deployment-controller,replicaset-controller,statefulset-controller,garbage-collector-controller",
		"--root-ca-file="+pki.caCert,
		"--service-account-private-key-file="+pki.saPrivate,
		"--use-service-account-credentials=false",
		"--profiling=false",
	)
	startProcess(t, "kube-scheduler", dir, nil, syscall.SIGTERM, bins["kube-scheduler"],
		"--kubeconfig="+k.Kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--bind-address=127.0.0.1",
		"--profiling=false",
	)
	stages := filepath.Join(dir, "kwok-stages.yaml")
	if err := os.WriteFile(stages, kwokStages, 0o644); err != nil {
		t.Fatalf("write kwok stages: %v", err)
	}
	startProcess(t, "kwok", dir, nil, syscall.SIGTERM, bins["kwok"],
		"--kubeconfig="+k.Kubeconfig,
		"--config="+stages,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--node-ip=127.0.0.1",
		"--server-address=127.0.0.1:0",
	)

	createKwokNode(t, client)
	waitNodeReady(t, client)
	t.Logf("kwok node ready after %s", time.Since(start).Round(10*time.Millisecond))
	// A probe Deployment proves the controller-manager, the scheduler and
	// kwok all work before any test relies on them.
	probe := k.Namespace(t, "probe")
	k.CreateDeployment(t, probe, "probe", 1, "registry.invalid/probe:1")
	k.WaitDeploymentReady(t, probe, "probe", 1)
	t.Logf("kubernetes control plane ready after %s (%s)", time.Since(start).Round(10*time.Millisecond), dir)
	return k
}

// startEtcd runs etcd with its data in dir/etcd and returns its client URL.
func startEtcd(t testing.TB, dir, bin string) string {
	t.Helper()
	clientURL := "http://127.0.0.1:" + strconv.Itoa(FreePort(t))
	peerURL := "http://127.0.0.1:" + strconv.Itoa(FreePort(t))
	proc := startProcess(t, "etcd", dir, nil, syscall.SIGTERM, bin,
		"--name=firebreak",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=firebreak="+peerURL,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	proc.waitReady(t, etcdReadyTimeout, httpReady(clientURL+"/health"))
	return clientURL
}

// createKwokNode registers the fake node kwok manages (selected by its
// annotation), with room for every test pod and no taints, so the scheduler
// places pods on it without tolerations.
func createKwokNode(t testing.TB, client kubernetes.Interface) {
	t.Helper()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("500"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        KubeNodeName,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels:      map[string]string{"type": "kwok", "kubernetes.io/hostname": KubeNodeName},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create kwok node: %v", err)
	}
}

// waitNodeReady waits for kwok to mark the fake node Ready.
func waitNodeReady(t testing.TB, client kubernetes.Interface) {
	t.Helper()
	PollUntil(t, workloadReadyTimeout, "kwok node "+KubeNodeName+" Ready", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := client.CoreV1().Nodes().Get(ctx, KubeNodeName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c.Status == corev1.ConditionTrue, fmt.Errorf("node Ready=%s", c.Status)
			}
		}
		return false, errors.New("node has no Ready condition yet")
	})
}

// Namespace creates a fresh namespace named after prefix and a random
// suffix, so tests sharing a cluster never see each other's objects. It is
// not deleted: the cluster runs no namespace controller, and the cluster
// goes away with the test binary.
func (k *Kube) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	got, err := k.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s-*: %v", prefix, err)
	}
	return got.Name
}

// CreateDeployment creates a Deployment of replicas pods with one container
// "app" running image, labelled app=name. kwok makes its pods Ready.
func (k *Kube) CreateDeployment(t testing.TB, namespace, name string, replicas int32, image string) *appsv1.Deployment {
	t.Helper()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "app",
					Image: image,
					Env:   []corev1.EnvVar{{Name: "MODE", Value: "normal"}},
				}}},
			},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := k.Client.AppsV1().Deployments(namespace).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create deployment %s/%s: %v", namespace, name, err)
	}
	return got
}

// WaitDeploymentReady waits until the Deployment's rollout is complete with
// want ready replicas: the controller saw the latest spec, every replica is
// updated and ready, and no old pod remains.
func (k *Kube) WaitDeploymentReady(t testing.TB, namespace, name string, want int32) {
	t.Helper()
	PollUntil(t, workloadReadyTimeout, fmt.Sprintf("deployment %s/%s with %d ready replicas", namespace, name, want), func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		d, err := k.Client.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := d.Status
		ok := s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want &&
			s.ReadyReplicas == want && s.Replicas == want
		return ok, fmt.Errorf("generation %d observed %d, replicas %d updated %d ready %d; pods: %s",
			d.Generation, s.ObservedGeneration, s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, k.describePods(ctx, namespace))
	})
}

// describePods summarises a namespace's pods for a failed wait: where each
// is scheduled and which conditions hold.
func (k *Kube) describePods(ctx context.Context, namespace string) string {
	list, err := k.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, p := range list.Items {
		var conds []string
		for _, c := range p.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s", c.Type, c.Status))
		}
		parts = append(parts, fmt.Sprintf("%s node=%q phase=%s %v", p.Name, p.Spec.NodeName, p.Status.Phase, conds))
	}
	return strings.Join(parts, "; ")
}
