// Package kubeclient builds the Kubernetes client that the engine
// configuration's kubernetes block names. It is apart from internal/config
// so that validating and formatting configuration link no client-go.
package kubeclient

import (
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/firebreak-dev/firebreak/internal/config"
)

// RequestTimeout bounds every API request: actions and diagnoses are one
// or two short calls each, and a hung API server must not hold an activity
// until its own timeout.
const RequestTimeout = 10 * time.Second

// Cluster describes the cluster a client talks to, for logs and the dev
// banner. It never carries credentials.
type Cluster struct {
	InCluster bool   // the pod's service account
	Context   string // kubeconfig context; "" in cluster
	Server    string // API server URL
}

func (c Cluster) String() string {
	if c.InCluster {
		return "in-cluster service account, server " + c.Server
	}
	return fmt.Sprintf("context %q, server %s", c.Context, c.Server)
}

// RESTConfig builds the client configuration: rest.InClusterConfig in
// cluster, otherwise the kubeconfig file with k.Context overriding its
// current-context; k.QPS, k.Burst and RequestTimeout applied.
func RESTConfig(k config.Kubernetes) (*rest.Config, Cluster, error) {
	cl := Cluster{InCluster: k.InCluster}
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
	rc.QPS, rc.Burst, rc.Timeout = k.QPS, k.Burst, RequestTimeout
	rc.UserAgent = "firebreak"
	return rc, cl, nil
}

// New builds a Kubernetes client for the configured cluster. It does not
// contact the cluster: a cluster that is down makes the actions fail, not
// the engine's start.
func New(k config.Kubernetes) (kubernetes.Interface, Cluster, error) {
	rc, cl, err := RESTConfig(k)
	if err != nil {
		return nil, cl, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, cl, fmt.Errorf("kubernetes client for %s: %w", cl, err)
	}
	return cs, cl, nil
}
