// Command app runs the bad-deploy scenario's simulated service (package
// simapp): it reads a Deployment through the Kubernetes API, generates its
// own bounded synthetic traffic, fails a share of the requests served by
// pods running a bad image, and serves the result as Prometheus metrics.
//
//	app --kubeconfig /tmp/firebreak-bad-deploy/kubeconfig --namespace shop --deployment checkout \
//	    --bad-images registry.example/shop/checkout:1.5.0 --listen 127.0.0.1:18180
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/firebreak-dev/firebreak/examples/bad-deploy/simapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "app: %v\n", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg simapp.Config
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster (default $KUBECONFIG)")
	listen := fs.String("listen", "127.0.0.1:18180", "HTTP listen address (/metrics, /status, /healthz)")
	bad := fs.String("bad-images", "", "comma-separated image references that fail requests (images tagged :bad always do)")
	fs.StringVar(&cfg.Namespace, "namespace", "shop", "namespace of the Deployment")
	fs.StringVar(&cfg.Deployment, "deployment", "checkout", "the Deployment this service is")
	fs.StringVar(&cfg.Service, "service", "", "service label on every series (default: the Deployment's name)")
	fs.Float64Var(&cfg.FailRatio, "fail-ratio", simapp.DefaultFailRatio, "share of the requests a bad pod serves that fail")
	fs.IntVar(&cfg.RPS, "rps", simapp.DefaultRPS, fmt.Sprintf("synthetic requests per second, counted in-process (at most %d)", simapp.MaxRPS))
	fs.DurationVar(&cfg.Refresh, "refresh", simapp.DefaultRefresh, "how often the Deployment and its pods are read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *kubeconfig == "" {
		return errors.New("--kubeconfig (or $KUBECONFIG) is required")
	}
	for _, img := range strings.Split(*bad, ",") {
		if img = strings.TrimSpace(img); img != "" {
			cfg.BadImages = append(cfg.BadImages, img)
		}
	}
	rc, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", *kubeconfig, err)
	}
	rc.UserAgent = "firebreak-bad-deploy-app"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	cfg.Client = client
	cfg.Log = slog.New(slog.NewTextHandler(stderr, nil))
	app, err := simapp.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	cfg.Log.Info("serving", "listen", ln.Addr().String(), "namespace", cfg.Namespace, "deployment", cfg.Deployment,
		"bad_images", cfg.BadImages, "fail_ratio", cfg.FailRatio, "rps", cfg.RPS)
	return app.Serve(ctx, ln)
}
