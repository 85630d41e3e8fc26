package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Kubernetes says which cluster Kubernetes diagnoses and actions use. Either
// InCluster is set (the pod's ServiceAccount) or Kubeconfig names a file.
type Kubernetes struct {
	Kubeconfig string  // absolute path of a kubeconfig file; "" with InCluster
	Context    string  // context in Kubeconfig; "" means its current-context
	InCluster  bool    // use the pod's ServiceAccount and the KUBERNETES_SERVICE_* address
	QPS        float32 // client-side rate limit, requests per second
	Burst      int     // requests allowed above QPS in a burst
}

// Kubernetes client defaults.
const (
	DefaultKubeQPS   = 20
	DefaultKubeBurst = 40
	// KubeRequestTimeout bounds every API request: actions and diagnoses
	// are one or two short calls each, and a hung API server must not hold
	// an activity until its own timeout.
	KubeRequestTimeout = 10 * time.Second
)

// KubeCluster describes the cluster a client talks to, for logs and the
// dev banner. It never carries credentials.
type KubeCluster struct {
	InCluster bool
	Context   string // kubeconfig context; "" in cluster
	Server    string // API server URL
}

func (c KubeCluster) String() string {
	if c.InCluster {
		return "in-cluster service account, server " + c.Server
	}
	return fmt.Sprintf("context %q, server %s", c.Context, c.Server)
}

// RESTConfig builds the client configuration: rest.InClusterConfig in
// cluster, otherwise the kubeconfig file with Context overriding its
// current-context; QPS, Burst and KubeRequestTimeout applied.
func (k *Kubernetes) RESTConfig() (*rest.Config, KubeCluster, error) {
	cl := KubeCluster{InCluster: k.InCluster}
	var rc *rest.Config
	if k.InCluster {
		c, err := rest.InClusterConfig()
		if err != nil {
			return nil, cl, fmt.Errorf("in-cluster kubernetes config: %w", err)
		}
		rc = c
	} else {
		loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			&clientcmd.ClientConfigLoadingRules{ExplicitPath: k.Kubeconfig},
			&clientcmd.ConfigOverrides{CurrentContext: k.Context})
		raw, err := loader.RawConfig()
		if err != nil {
			return nil, cl, fmt.Errorf("load kubeconfig %s: %w", k.Kubeconfig, err)
		}
		cl.Context = k.Context
		if cl.Context == "" {
			cl.Context = raw.CurrentContext
		}
		c, err := loader.ClientConfig()
		if err != nil {
			return nil, cl, fmt.Errorf("kubeconfig %s, context %q: %w", k.Kubeconfig, cl.Context, err)
		}
		rc = c
	}
	cl.Server = rc.Host
	rc.QPS, rc.Burst, rc.Timeout = k.QPS, k.Burst, KubeRequestTimeout
	rc.UserAgent = "firebreak"
	return rc, cl, nil
}

// Client builds a Kubernetes client for the configured cluster. It does
// not contact the cluster: a cluster that is down makes the actions fail,
// not the engine's start.
func (k *Kubernetes) Client() (kubernetes.Interface, KubeCluster, error) {
	rc, cl, err := k.RESTConfig()
	if err != nil {
		return nil, cl, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, cl, fmt.Errorf("kubernetes client for %s: %w", cl, err)
	}
	return cs, cl, nil
}

type rawKubernetes struct {
	Kubeconfig      *string   `hcl:"kubeconfig,optional"`
	KubeconfigRange hcl.Range `hcl:"kubeconfig,attr_value_range"`
	Context         *string   `hcl:"context,optional"`
	ContextRange    hcl.Range `hcl:"context,attr_value_range"`
	InCluster       *bool     `hcl:"in_cluster,optional"`
	InClusterRange  hcl.Range `hcl:"in_cluster,attr_value_range"`
	QPS             *float64  `hcl:"qps,optional"`
	QPSRange        hcl.Range `hcl:"qps,attr_value_range"`
	Burst           *int      `hcl:"burst,optional"`
	BurstRange      hcl.Range `hcl:"burst,attr_value_range"`
	DefRange        hcl.Range `hcl:",def_range"`
}

// kubernetes validates the kubernetes block. The kubeconfig is read here,
// like every x_file setting, so that a wrong path or context is reported
// at its position instead of when the first action runs.
func (d *decoder) kubernetes(r *rawKubernetes) *Kubernetes {
	if r == nil {
		return nil
	}
	k := &Kubernetes{QPS: DefaultKubeQPS, Burst: DefaultKubeBurst}
	k.InCluster = r.InCluster != nil && *r.InCluster
	switch {
	case k.InCluster && r.Kubeconfig != nil:
		d.errorf(r.KubeconfigRange, r.DefRange, "Conflicting kubernetes settings",
			"Set in_cluster = true or kubeconfig, not both.")
	case k.InCluster && r.Context != nil:
		d.errorf(r.ContextRange, r.DefRange, "Conflicting kubernetes settings",
			"context selects a kubeconfig context; in_cluster uses the pod's service account and has none.")
	case !k.InCluster && r.Kubeconfig == nil:
		d.errorf(r.DefRange, r.DefRange, "Missing kubeconfig",
			"A kubernetes block needs kubeconfig = \"path\" or in_cluster = true; omit the block when there is no cluster.")
	case r.Kubeconfig != nil:
		k.Kubeconfig = d.kubeconfig(*r.Kubeconfig, r.KubeconfigRange, r.DefRange)
		if r.Context != nil {
			d.nonEmpty(*r.Context, "context", r.ContextRange, r.DefRange)
			k.Context = *r.Context
		}
		if k.Kubeconfig != "" {
			d.kubeContext(k.Kubeconfig, k.Context, r.KubeconfigRange, r.ContextRange, r.DefRange)
		}
	}
	if r.QPS != nil {
		if *r.QPS <= 0 {
			d.errorf(r.QPSRange, r.DefRange, "Invalid qps", "qps must be greater than 0.")
		}
		k.QPS = float32(*r.QPS)
	}
	if r.Burst != nil {
		if *r.Burst < 1 {
			d.errorf(r.BurstRange, r.DefRange, "Invalid burst", "burst must be at least 1.")
		}
		k.Burst = *r.Burst
	}
	return k
}

// kubeconfig expands a leading ~ and resolves the path against the
// configuration file's directory. It returns "" after an error.
func (d *decoder) kubeconfig(p string, subject, context hcl.Range) string {
	if strings.TrimSpace(p) == "" {
		d.errorf(subject, context, "Empty kubeconfig", "kubeconfig cannot be empty.")
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			d.errorf(subject, context, "Cannot expand ~", "kubeconfig = %q: %s.", p, err)
			return ""
		}
		p = filepath.Join(home, strings.TrimPrefix(p[1:], "/"))
	} else if strings.HasPrefix(p, "~") {
		d.errorf(subject, context, "Cannot expand ~", "kubeconfig = %q: only ~/ (your own home directory) is expanded.", p)
		return ""
	}
	return d.path(p)
}

// kubeContext checks that the kubeconfig parses and has the context to use.
func (d *decoder) kubeContext(path, context string, fileRange, contextRange, block hcl.Range) {
	kc, err := clientcmd.LoadFromFile(path)
	if err != nil {
		d.errorf(fileRange, block, "Cannot read kubeconfig", "%s.", err)
		return
	}
	if context == "" {
		if kc.CurrentContext == "" {
			d.errorf(fileRange, block, "No kubeconfig context", "%s has no current-context; set context = \"name\".", path)
		} else if _, ok := kc.Contexts[kc.CurrentContext]; !ok {
			d.errorf(fileRange, block, "Unknown kubeconfig context", "%s: current-context %q is not defined in it.", path, kc.CurrentContext)
		}
		return
	}
	if _, ok := kc.Contexts[context]; !ok {
		d.errorf(contextRange, block, "Unknown kubeconfig context", "context %q is not defined in %s.", context, path)
	}
}
