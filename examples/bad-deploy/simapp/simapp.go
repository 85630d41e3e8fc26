// Package simapp is the bad-deploy scenario's simulated service. Under kwok
// (see internal/testutil.StartKube) a Deployment's pods become Ready without
// any container running, so there is no real service whose errors a broken
// image could cause. simapp stands in for it, honestly and visibly: it reads
// the Deployment and its pods through the Kubernetes API, generates a
// bounded amount of synthetic traffic in-process (no network load), routes
// each request to one of the Deployment's Ready pods in turn, and fails a
// fixed share of the requests that land on a pod running a bad image. It
// serves what happened as Prometheus metrics:
//
//	http_requests_total{namespace, service, code}   200, 500 (bad image), 503 (no Ready pod)
//	simapp_serving_pods{namespace, service, image}  Ready pods per image
//	simapp_bad_image{namespace, service, image}     1 for each image it fails
//	simapp_refresh_errors_total{namespace, service} failed reads of the Deployment
//
// A Deployment rolled out to a bad image therefore shows an error ratio
// that follows the rollout pod by pod, and a rollback clears it as the old
// ReplicaSet's pods become Ready again: exactly what the runbook and its
// verification look at.
//
// simapp writes no log lines the runbook could classify: kwok pods have no
// logs, and the classify step of the runbook sees none. In a real cluster
// the failing pods' own logs are what classify reads.
package simapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Defaults of Config.
const (
	DefaultFailRatio = 0.4
	DefaultRPS       = 50
	DefaultRefresh   = 500 * time.Millisecond
	// MaxRPS bounds the synthetic traffic: it is counted, not sent, but a
	// runaway rate would still burn CPU on a shared machine.
	MaxRPS = 1000
	// tick is how often a slice of the traffic is generated.
	tick = 100 * time.Millisecond
	// revisionAnnotation numbers a Deployment's revisions.
	revisionAnnotation = "deployment.kubernetes.io/revision"
)

// Config says which Deployment the simulated service is, and which images
// are broken.
type Config struct {
	Client     kubernetes.Interface // reads the Deployment and its pods
	Namespace  string
	Deployment string
	// Service is the service label on every series; default the
	// Deployment's name.
	Service string
	// BadImages are image references (exactly as in the pod spec) that
	// fail requests. Any image whose tag is "bad" fails too.
	BadImages []string
	// FailRatio is the share of the requests served by a bad pod that
	// fail, in (0, 1]; default DefaultFailRatio.
	FailRatio float64
	// RPS is the synthetic traffic, requests per second, 1..MaxRPS;
	// default DefaultRPS.
	RPS int
	// Refresh is how often the Deployment and its pods are read; default
	// DefaultRefresh.
	Refresh time.Duration
	Log     *slog.Logger
}

// Pod is one pod as the simulated service sees it.
type Pod struct {
	Name   string   `json:"name"`
	Images []string `json:"images"`
	Ready  bool     `json:"ready"`
	Bad    bool     `json:"bad"` // some container runs a bad image
}

// Status is the service's view of its Deployment and its traffic so far.
type Status struct {
	Namespace  string         `json:"namespace"`
	Deployment string         `json:"deployment"`
	Revision   string         `json:"revision"`        // the Deployment's revision annotation
	Images     []string       `json:"template_images"` // the Deployment's pod template
	Pods       []Pod          `json:"pods"`            // every pod matching its selector
	ReadAt     time.Time      `json:"read_at"`         // when the API was last read successfully
	ReadError  string         `json:"read_error,omitempty"`
	Requests   map[string]int `json:"requests"` // by code, since start
}

// Serving is the number of Ready pods, and of those running a bad image.
func (s Status) Serving() (ready, bad int) {
	for _, p := range s.Pods {
		if p.Ready {
			ready++
			if p.Bad {
				bad++
			}
		}
	}
	return ready, bad
}

// App is a running simulated service.
type App struct {
	cfg     Config
	log     *slog.Logger
	reg     *prometheus.Registry
	reqs    *prometheus.CounterVec
	serving *prometheus.GaugeVec
	badImg  *prometheus.GaugeVec
	refErrs prometheus.Counter

	mu      sync.Mutex
	st      Status
	next    int     // round-robin position over the Ready pods
	failAcc float64 // accumulated failure share; a request fails each time it reaches 1
}

// New checks cfg and registers the metrics. Run (or Serve) starts it.
func New(cfg Config) (*App, error) {
	switch {
	case cfg.Client == nil:
		return nil, errors.New("simapp: no Kubernetes client")
	case cfg.Namespace == "" || cfg.Deployment == "":
		return nil, errors.New("simapp: namespace and deployment are required")
	}
	if cfg.Service == "" {
		cfg.Service = cfg.Deployment
	}
	if cfg.FailRatio == 0 {
		cfg.FailRatio = DefaultFailRatio
	}
	if cfg.FailRatio < 0 || cfg.FailRatio > 1 {
		return nil, fmt.Errorf("simapp: fail ratio %g is not in (0, 1]", cfg.FailRatio)
	}
	if cfg.RPS == 0 {
		cfg.RPS = DefaultRPS
	}
	if cfg.RPS < 1 || cfg.RPS > MaxRPS {
		return nil, fmt.Errorf("simapp: rps %d is not in 1..%d", cfg.RPS, MaxRPS)
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// namespace and service are constant labels: in a real cluster
	// Prometheus' Kubernetes service discovery would attach them; here the
	// scrape is a static target, and constant labels keep the series the
	// same whichever Prometheus scrapes them.
	labels := prometheus.Labels{"namespace": cfg.Namespace, "service": cfg.Service}
	a := &App{
		cfg: cfg,
		log: cfg.Log,
		reg: prometheus.NewRegistry(),
		reqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "http_requests_total",
			Help:        "Simulated requests by HTTP status: 200, 500 (served by a pod running a bad image), 503 (no Ready pod).",
			ConstLabels: labels,
		}, []string{"code"}),
		serving: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name:        "simapp_serving_pods",
			Help:        "Ready pods of the Deployment, by image (containers joined with a comma).",
			ConstLabels: labels,
		}, []string{"image"}),
		badImg: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name:        "simapp_bad_image",
			Help:        "1 for each image the simulated service fails requests on.",
			ConstLabels: labels,
		}, []string{"image"}),
		refErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "simapp_refresh_errors_total",
			Help:        "Failed reads of the Deployment and its pods.",
			ConstLabels: labels,
		}),
		st: Status{Namespace: cfg.Namespace, Deployment: cfg.Deployment, Requests: map[string]int{}},
	}
	a.reg.MustRegister(a.reqs, a.serving, a.badImg, a.refErrs)
	// Every code exists from the start, so a ratio over them is 0, not
	// missing, while nothing fails.
	for _, code := range []string{"200", "500", "503"} {
		a.reqs.WithLabelValues(code)
	}
	for _, img := range cfg.BadImages {
		a.badImg.WithLabelValues(img).Set(1)
	}
	return a, nil
}

// IsBad says whether image fails requests: it is listed in bad, or its tag
// is "bad" (registry.example/shop/checkout:bad).
func IsBad(image string, bad []string) bool {
	if slices.Contains(bad, image) {
		return true
	}
	ref := image
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	slash := strings.LastIndexByte(ref, '/')
	colon := strings.LastIndexByte(ref, ':')
	return colon > slash && ref[colon+1:] == "bad"
}

// Handler serves /metrics, /status (the Status as JSON) and /healthz.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(a.Status())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// Status returns a copy of the current view.
func (a *App) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.st
	st.Pods = slices.Clone(a.st.Pods)
	st.Images = slices.Clone(a.st.Images)
	st.Requests = make(map[string]int, len(a.st.Requests))
	for k, v := range a.st.Requests {
		st.Requests[k] = v
	}
	return st
}

// Serve runs the service and its HTTP handler on ln until ctx is done.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	runErr := a.Run(ctx)
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return runErr
}

// Run reads the Deployment every Refresh and generates the traffic until
// ctx is done. It returns nil when ctx ends.
func (a *App) Run(ctx context.Context) error {
	a.refresh(ctx)
	refresh := time.NewTicker(a.cfg.Refresh)
	defer refresh.Stop()
	traffic := time.NewTicker(tick)
	defer traffic.Stop()
	// Requests per tick, carrying the fraction over so that the rate is
	// exact over a second.
	perTick := float64(a.cfg.RPS) * tick.Seconds()
	carry := 0.0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-refresh.C:
			a.refresh(ctx)
		case <-traffic.C:
			carry += perTick
			n := int(carry)
			carry -= float64(n)
			a.serve(n)
		}
	}
}

// serve generates n requests against the current view.
func (a *App) serve(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ready []Pod
	for _, p := range a.st.Pods {
		if p.Ready {
			ready = append(ready, p)
		}
	}
	for range n {
		code := "200"
		if len(ready) == 0 {
			code = "503"
		} else {
			p := ready[a.next%len(ready)]
			a.next++
			if p.Bad {
				// Deterministic share: exactly FailRatio of the requests a
				// bad pod serves fail, with no randomness to flake a test.
				a.failAcc += a.cfg.FailRatio
				if a.failAcc >= 1 {
					a.failAcc--
					code = "500"
				}
			}
		}
		a.st.Requests[code]++
		a.reqs.WithLabelValues(code).Inc()
	}
}

// refresh reads the Deployment and the pods its selector matches.
func (a *App) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := a.read(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return
		}
		a.refErrs.Inc()
		if a.st.ReadError != err.Error() {
			a.log.Warn("read deployment", "namespace", a.cfg.Namespace, "deployment", a.cfg.Deployment, "err", err)
		}
		// Keep serving from the last view: a blip of the API server is
		// not an outage of the service.
		a.st.ReadError = err.Error()
		return
	}
	st.Requests = a.st.Requests
	if before, after := a.st.Revision, st.Revision; before != after {
		a.log.Info("deployment revision", "revision", after, "images", st.Images)
	}
	a.st = st
	counts := map[string]int{}
	for _, p := range st.Pods {
		if p.Ready {
			counts[strings.Join(p.Images, ",")]++
		}
	}
	a.serving.Reset()
	for img, n := range counts {
		a.serving.WithLabelValues(img).Set(float64(n))
		if IsBad(img, a.cfg.BadImages) {
			a.badImg.WithLabelValues(img).Set(1)
		}
	}
}

func (a *App) read(ctx context.Context) (Status, error) {
	st := Status{Namespace: a.cfg.Namespace, Deployment: a.cfg.Deployment}
	d, err := a.cfg.Client.AppsV1().Deployments(a.cfg.Namespace).Get(ctx, a.cfg.Deployment, metav1.GetOptions{})
	if err != nil {
		return st, fmt.Errorf("get deployment: %w", err)
	}
	st.Revision = d.Annotations[revisionAnnotation]
	for _, c := range d.Spec.Template.Spec.Containers {
		st.Images = append(st.Images, c.Image)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return st, fmt.Errorf("selector: %w", err)
	}
	pods, err := a.cfg.Client.CoreV1().Pods(a.cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return st, fmt.Errorf("list pods: %w", err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		pod := Pod{Name: p.Name, Ready: p.DeletionTimestamp == nil && podReady(p)}
		for _, c := range p.Spec.Containers {
			pod.Images = append(pod.Images, c.Image)
			if IsBad(c.Image, a.cfg.BadImages) {
				pod.Bad = true
			}
		}
		st.Pods = append(st.Pods, pod)
	}
	sort.Slice(st.Pods, func(i, j int) bool { return st.Pods[i].Name < st.Pods[j].Name })
	st.ReadAt = time.Now()
	return st, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
