package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"sigs.k8s.io/yaml"
)

// Kubernetes says which cluster Kubernetes diagnoses and actions use. Either
// InCluster is set (the pod's ServiceAccount) or Kubeconfig names a file.
// internal/kubeclient builds the client; this package only checks the
// settings, so that validating a configuration links no Kubernetes client.
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
)

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
	kc, err := readKubeconfig(path)
	if err != nil {
		d.errorf(fileRange, block, "Cannot read kubeconfig", "%s.", err)
		return
	}
	if context == "" {
		if kc.currentContext == "" {
			d.errorf(fileRange, block, "No kubeconfig context", "%s has no current-context; set context = \"name\".", path)
		} else if !kc.contexts[kc.currentContext] {
			d.errorf(fileRange, block, "Unknown kubeconfig context", "%s: current-context %q is not defined in it.", path, kc.currentContext)
		}
		return
	}
	if !kc.contexts[context] {
		d.errorf(contextRange, block, "Unknown kubeconfig context", "context %q is not defined in %s.", context, path)
	}
}

// kubeconfigContexts is the part of a kubeconfig file that validation reads.
type kubeconfigContexts struct {
	currentContext string
	contexts       map[string]bool // the names under contexts:
}

// readKubeconfig reads the context names and current-context of a
// kubeconfig file the way client-go's clientcmd.LoadFromFile does, without
// linking client-go: YAML (or JSON) converted to JSON by sigs.k8s.io/yaml,
// keys matched exactly, an empty file being a config with no contexts,
// and any apiVersion other than v1, or kind other than Config, refused.
// Clusters and users are left to the client builder.
func readKubeconfig(path string) (kubeconfigContexts, error) {
	kc := kubeconfigContexts{contexts: map[string]bool{}}
	src, err := os.ReadFile(path)
	if err != nil {
		return kc, err
	}
	if len(src) == 0 {
		return kc, nil
	}
	js, err := yaml.YAMLToJSON(src)
	if err != nil {
		return kc, err
	}
	// Fields are decoded one by one from exact keys: encoding/json would
	// match struct fields case-insensitively, and client-go does not.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		return kc, fmt.Errorf("not a kubeconfig: %w", err)
	}
	apiVersion, kind := "v1", "Config" // client-go's defaults for a file without them
	for _, f := range []struct {
		key string
		dst *string
	}{{"apiVersion", &apiVersion}, {"kind", &kind}, {"current-context", &kc.currentContext}} {
		if err := decodeField(top, f.key, f.dst); err != nil {
			return kc, err
		}
	}
	if apiVersion == "" {
		apiVersion = "v1"
	}
	if kind == "" {
		kind = "Config"
	}
	if apiVersion != "v1" || kind != "Config" {
		return kc, fmt.Errorf("no kind %q is registered for version %q", kind, apiVersion)
	}
	var contexts []map[string]json.RawMessage
	if err := decodeField(top, "contexts", &contexts); err != nil {
		return kc, err
	}
	for i, c := range contexts {
		var name string
		if err := decodeField(c, "name", &name); err != nil {
			return kc, fmt.Errorf("contexts[%d]: %w", i, err)
		}
		kc.contexts[name] = true
	}
	return kc, nil
}

// decodeField decodes obj[key] into dst, leaving dst as it is when the key
// is absent (or null, as encoding/json does).
func decodeField[T any](obj map[string]json.RawMessage, key string, dst *T) error {
	raw, ok := obj[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}
