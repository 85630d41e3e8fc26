package remediate

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/firebreak-dev/firebreak/integrations/kube"
)

// KubeEnvReadInput names one env var of one container of a workload.
type KubeEnvReadInput struct {
	Target    KubeTarget // a Deployment or StatefulSet
	Container string     // the container; "" when the template has exactly one
	Name      string     // the env var
}

// KubeEnvState is an env var before acting, recorded for KubeSetEnvRestore.
type KubeEnvState struct {
	Target    KubeTarget // the workload, kind normalised
	Container string     // the container, resolved when the input left it empty
	Name      string     // the env var
	Present   bool       // whether the container had the var
	Value     string     // its literal value
	// ValueFrom is the var's source when it was not a literal (a secret or
	// field reference); restore puts it back.
	ValueFrom *corev1.EnvVarSource
}

// KubeSetEnvInput asks for one env var to have a literal value.
type KubeSetEnvInput struct {
	Target    KubeTarget // a Deployment or StatefulSet
	Container string     // the container; "" when the template has exactly one
	Name      string     // the env var
	Value     string     // its value, at most 32 KiB
}

// KubeEnvResult records what KubeSetEnvApply or KubeSetEnvRestore did.
type KubeEnvResult struct {
	Target    KubeTarget // the workload
	Container string     // the container changed
	Name      string     // the env var
	Prior     KubeEnvState
	Changed   bool // false when the var already had the wanted state
}

// KubeSetEnvRead reads one env var of the target's pod template (RBAC: get
// on deployments or statefulsets).
func (a *KubeActivities) KubeSetEnvRead(ctx context.Context, in KubeEnvReadInput) (KubeEnvState, error) {
	op := "kubernetes set env read"
	t, err := validateEnvInput(op, in.Target, in.Container, in.Name)
	if err != nil {
		return KubeEnvState{}, err
	}
	op = fmt.Sprintf("%s %s %s", op, t, in.Name)
	tmpl, err := a.readTemplate(ctx, op, t)
	if err != nil {
		return KubeEnvState{}, err
	}
	c, err := findContainer(op, tmpl, in.Container)
	if err != nil {
		return KubeEnvState{}, err
	}
	return envState(t, c, in.Name), nil
}

// KubeSetEnvApply sets one env var of one container to a literal value,
// leaving every other var as it is (RBAC: get and update on deployments or
// statefulsets). The changed template rolls the pods. Idempotent: a var
// that already has the value is not written.
func (a *KubeActivities) KubeSetEnvApply(ctx context.Context, in KubeSetEnvInput) (KubeEnvResult, error) {
	op := "kubernetes set env"
	t, err := validateEnvInput(op, in.Target, in.Container, in.Name)
	if err != nil {
		return KubeEnvResult{}, err
	}
	if len(in.Value) > maxConfigValueBytes {
		return KubeEnvResult{}, invalidInput(op, "%s %s: value of %d bytes exceeds %d", t, in.Name, len(in.Value), maxConfigValueBytes)
	}
	want := KubeEnvState{Target: t, Container: in.Container, Name: in.Name, Present: true, Value: in.Value}
	return a.setEnv(ctx, fmt.Sprintf("%s %s %s", op, t, in.Name), want)
}

// KubeSetEnvRestore returns the env var to the state KubeSetEnvRead
// recorded: its old value or source, or no var at all.
func (a *KubeActivities) KubeSetEnvRestore(ctx context.Context, prior KubeEnvState) (KubeEnvResult, error) {
	op := "kubernetes set env restore"
	t, err := validateEnvInput(op, prior.Target, prior.Container, prior.Name)
	if err != nil {
		return KubeEnvResult{}, err
	}
	prior.Target = t
	return a.setEnv(ctx, fmt.Sprintf("%s %s %s", op, t, prior.Name), prior)
}

// setEnv makes the var equal want (or absent when !want.Present).
func (a *KubeActivities) setEnv(ctx context.Context, op string, want KubeEnvState) (KubeEnvResult, error) {
	res := KubeEnvResult{Target: want.Target, Name: want.Name}
	first := true
	changed, err := a.updateTemplate(ctx, op, want.Target, func(tmpl *corev1.PodTemplateSpec) (bool, error) {
		c, err := findContainer(op, tmpl, want.Container)
		if err != nil {
			return false, err
		}
		cur := envState(want.Target, c, want.Name)
		if first {
			res.Prior, res.Container, first = cur, c.Name, false
		}
		i := envIndex(c, want.Name)
		switch {
		case !want.Present && i < 0:
			return false, nil
		case !want.Present:
			c.Env = append(c.Env[:i], c.Env[i+1:]...)
		case i >= 0 && c.Env[i].ValueFrom == nil && want.ValueFrom == nil && c.Env[i].Value == want.Value:
			return false, nil
		case i >= 0:
			c.Env[i] = corev1.EnvVar{Name: want.Name, Value: want.Value, ValueFrom: want.ValueFrom}
		default:
			c.Env = append(c.Env, corev1.EnvVar{Name: want.Name, Value: want.Value, ValueFrom: want.ValueFrom})
		}
		return true, nil
	})
	if err != nil {
		return KubeEnvResult{}, err
	}
	res.Changed = changed
	a.logger().Info("kubernetes env set", "target", want.Target.String(), "container", res.Container,
		"name", want.Name, "present", want.Present, "changed", changed)
	return res, nil
}

// validateEnvInput checks the target, container and var names.
func validateEnvInput(op string, target KubeTarget, container, name string) (KubeTarget, error) {
	t, err := validateTarget(op, target, KindDeployment, KindStatefulSet)
	if err != nil {
		return t, err
	}
	if container != "" {
		if err := kube.ValidateName(kube.ContainerName, container); err != nil {
			return t, invalidName(op, err)
		}
	}
	if err := kube.ValidateName(kube.EnvVarName, name); err != nil {
		return t, invalidName(op, err)
	}
	return t, nil
}

// findContainer returns the named container, or the only one when name is
// empty.
func findContainer(op string, tmpl *corev1.PodTemplateSpec, name string) (*corev1.Container, error) {
	cs := tmpl.Spec.Containers
	if name == "" {
		if len(cs) != 1 {
			return nil, invalidInput(op, "the template has %d containers: name one", len(cs))
		}
		return &cs[0], nil
	}
	var names []string
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i], nil
		}
		names = append(names, cs[i].Name)
	}
	return nil, notFound(op, "container %q not in the template (containers: %s)", name, strings.Join(names, ", "))
}

// envIndex returns the index of the var in c.Env, or -1.
func envIndex(c *corev1.Container, name string) int {
	for i, e := range c.Env {
		if e.Name == name {
			return i
		}
	}
	return -1
}

// envState records the var's state in c.
func envState(t KubeTarget, c *corev1.Container, name string) KubeEnvState {
	st := KubeEnvState{Target: t, Container: c.Name, Name: name}
	if i := envIndex(c, name); i >= 0 {
		st.Present, st.Value = true, c.Env[i].Value
		if c.Env[i].ValueFrom != nil {
			st.ValueFrom = c.Env[i].ValueFrom.DeepCopy()
		}
	}
	return st
}

// KubeConfigMapKeyInput names one key of one ConfigMap.
type KubeConfigMapKeyInput struct {
	Namespace string // a DNS-1123 label
	Name      string // the ConfigMap, a DNS-1123 subdomain
	Key       string // a valid ConfigMap key
}

// KubeConfigMapState is a key before acting, recorded for
// KubeConfigMapRestore.
type KubeConfigMapState struct {
	Namespace string // the ConfigMap's namespace
	Name      string // the ConfigMap
	Key       string // the key
	Present   bool   // whether data held the key
	Value     string // its value; "" when absent
}

// KubeConfigMapSetInput asks for one key to hold a value.
type KubeConfigMapSetInput struct {
	Namespace string // a DNS-1123 label
	Name      string // the ConfigMap, a DNS-1123 subdomain
	Key       string // a valid ConfigMap key
	Value     string // the value, at most 32 KiB
}

// KubeConfigMapResult records what KubeConfigMapApply or
// KubeConfigMapRestore did.
type KubeConfigMapResult struct {
	Prior   KubeConfigMapState // the key just before this activity
	Changed bool               // false when the key already had the wanted state
}

// KubeConfigMapRead reads one key of a ConfigMap (RBAC: get on
// configmaps).
func (a *KubeActivities) KubeConfigMapRead(ctx context.Context, in KubeConfigMapKeyInput) (KubeConfigMapState, error) {
	op := "kubernetes configmap read"
	if err := validateConfigMapKey(op, in.Namespace, in.Name, in.Key); err != nil {
		return KubeConfigMapState{}, err
	}
	op = fmt.Sprintf("%s %s/%s key %s", op, in.Namespace, in.Name, in.Key)
	c, err := a.client(op)
	if err != nil {
		return KubeConfigMapState{}, err
	}
	cm, err := c.CoreV1().ConfigMaps(in.Namespace).Get(ctx, in.Name, metav1.GetOptions{})
	if err != nil {
		return KubeConfigMapState{}, kubeError(op, err)
	}
	return configMapState(cm, in.Key), nil
}

// KubeConfigMapApply sets one key of a ConfigMap, leaving the other keys as
// they are (RBAC: get and update on configmaps). Pods see the change when
// they re-read the mounted file or are restarted; this action does not
// restart them. Idempotent: a key that already holds the value is not
// written.
func (a *KubeActivities) KubeConfigMapApply(ctx context.Context, in KubeConfigMapSetInput) (KubeConfigMapResult, error) {
	op := "kubernetes configmap set"
	if err := validateConfigMapKey(op, in.Namespace, in.Name, in.Key); err != nil {
		return KubeConfigMapResult{}, err
	}
	if len(in.Value) > maxConfigValueBytes {
		return KubeConfigMapResult{}, invalidInput(op, "%s/%s key %s: value of %d bytes exceeds %d",
			in.Namespace, in.Name, in.Key, len(in.Value), maxConfigValueBytes)
	}
	want := KubeConfigMapState{Namespace: in.Namespace, Name: in.Name, Key: in.Key, Present: true, Value: in.Value}
	return a.setConfigMapKey(ctx, fmt.Sprintf("%s %s/%s key %s", op, in.Namespace, in.Name, in.Key), want)
}

// KubeConfigMapRestore returns the key to the state KubeConfigMapRead
// recorded: its old value, or no key at all.
func (a *KubeActivities) KubeConfigMapRestore(ctx context.Context, prior KubeConfigMapState) (KubeConfigMapResult, error) {
	op := "kubernetes configmap restore"
	if err := validateConfigMapKey(op, prior.Namespace, prior.Name, prior.Key); err != nil {
		return KubeConfigMapResult{}, err
	}
	return a.setConfigMapKey(ctx, fmt.Sprintf("%s %s/%s key %s", op, prior.Namespace, prior.Name, prior.Key), prior)
}

// setConfigMapKey makes the key equal want, retrying conflicts with a fresh
// read.
func (a *KubeActivities) setConfigMapKey(ctx context.Context, op string, want KubeConfigMapState) (KubeConfigMapResult, error) {
	c, err := a.client(op)
	if err != nil {
		return KubeConfigMapResult{}, err
	}
	var res KubeConfigMapResult
	first := true
	err = retry.RetryOnConflict(conflictBackoff, func() error {
		res.Changed = false
		cm, err := c.CoreV1().ConfigMaps(want.Namespace).Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if _, ok := cm.BinaryData[want.Key]; ok {
			return invalidInput(op, "the key holds binaryData, which this action does not change")
		}
		cur := configMapState(cm, want.Key)
		if first {
			res.Prior, first = cur, false
		}
		switch {
		case cur.Present == want.Present && cur.Value == want.Value:
			return nil
		case want.Present:
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[want.Key] = want.Value
		default:
			delete(cm.Data, want.Key)
		}
		if _, err := c.CoreV1().ConfigMaps(want.Namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			return err
		}
		res.Changed = true
		return nil
	})
	if err != nil {
		return KubeConfigMapResult{}, kubeError(op, err)
	}
	a.logger().Info("kubernetes configmap key set", "configmap", want.Namespace+"/"+want.Name, "key", want.Key,
		"present", want.Present, "changed", res.Changed)
	return res, nil
}

// validateConfigMapKey checks the namespace, name and key.
func validateConfigMapKey(op, namespace, name, key string) error {
	if err := kube.ValidateNamespaced(namespace, kube.ConfigMapName, name); err != nil {
		return invalidName(op, err)
	}
	if err := kube.ValidateName(kube.ConfigMapKey, key); err != nil {
		return invalidName(op, err)
	}
	return nil
}

// configMapState records the key's state in cm.
func configMapState(cm *corev1.ConfigMap, key string) KubeConfigMapState {
	v, ok := cm.Data[key]
	return KubeConfigMapState{Namespace: cm.Namespace, Name: cm.Name, Key: key, Present: ok, Value: v}
}
