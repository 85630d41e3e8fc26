package runbooks

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Bounds of the Kubernetes actions. They repeat the activities' own limits
// (remediate.MaxKubeReplicas and its value limit) rather than import them,
// so that the language does not depend on the activities, and so that a
// runbook the activities would refuse mid-incident fails validation.
const (
	maxKubeReplicas   = 10000
	maxKubeValueBytes = 32 << 10 // env and ConfigMap values are recorded in workflow history
	minKubeWait       = time.Second
	maxKubeWait       = 30 * time.Minute
)

// KubeActionSpec is a kubernetes_* action resolved for one alert: the
// validated target and the parameters of its kind. Fields a kind does not
// use are zero.
type KubeActionSpec struct {
	Target    TargetRef     // the object acted on, validated
	Set       Amount        // kubernetes_scale: replicas, possibly relative
	Min, Max  *int64        // kubernetes_scale: clamps; nil when not set
	Container string        // kubernetes_set_env: the container; "" = the only container
	Name      string        // kubernetes_set_env: the environment variable
	Key       string        // kubernetes_patch_configmap: the key
	Value     string        // kubernetes_set_env / kubernetes_patch_configmap: the rendered value
	Wait      time.Duration // wait up to this long for the rollout to finish; 0 = do not wait
}

// kubeActionDecl is a kubernetes_* action as parsed.
type kubeActionDecl struct {
	target    *Target
	set       Amount
	min, max  *int64
	container string
	name      string
	key       string
	value     hcl.Expression // nil for kinds without a value
	wait      time.Duration
}

// Raw blocks of the Kubernetes action kinds, one per kind so that an
// attribute a kind does not take is reported as unsupported.
type (
	rawKubeScale struct {
		Target    hcl.Expression `hcl:"target"`
		Set       string         `hcl:"set"`
		SetRange  hcl.Range      `hcl:"set,attr_value_range"`
		Min       *int64         `hcl:"min,optional"`
		MinRange  hcl.Range      `hcl:"min,attr_value_range"`
		Max       *int64         `hcl:"max,optional"`
		MaxRange  hcl.Range      `hcl:"max,attr_value_range"`
		Wait      *string        `hcl:"wait,optional"`
		WaitRange hcl.Range      `hcl:"wait,attr_value_range"`
	}
	rawKubeWorkload struct { // kubernetes_restart, kubernetes_rollback
		Target    hcl.Expression `hcl:"target"`
		Wait      *string        `hcl:"wait,optional"`
		WaitRange hcl.Range      `hcl:"wait,attr_value_range"`
	}
	rawKubeDeletePod struct {
		Target hcl.Expression `hcl:"target"`
	}
	rawKubeSetEnv struct {
		Target         hcl.Expression `hcl:"target"`
		Container      *string        `hcl:"container,optional"`
		ContainerRange hcl.Range      `hcl:"container,attr_value_range"`
		Name           string         `hcl:"name"`
		NameRange      hcl.Range      `hcl:"name,attr_value_range"`
		Value          hcl.Expression `hcl:"value"`
		Wait           *string        `hcl:"wait,optional"`
		WaitRange      hcl.Range      `hcl:"wait,attr_value_range"`
	}
	rawKubePatchConfigMap struct {
		Target   hcl.Expression `hcl:"target"`
		Key      string         `hcl:"key"`
		KeyRange hcl.Range      `hcl:"key,attr_value_range"`
		Value    hcl.Expression `hcl:"value"`
	}
)

// Kube resolves a kubernetes_* action for this alert: the target's
// namespace and name are rendered and refused unless they are valid
// Kubernetes names, and the value (set_env, patch_configmap) is rendered
// without escaping and refused above 32 KiB. Nothing here calls the API, so
// a hostile label is refused before any request is made.
func (a *Action) Kube(s *Scope) (KubeActionSpec, error) {
	k := a.kube
	if k == nil {
		return KubeActionSpec{}, fmt.Errorf("action %s: not a kubernetes action", a.Name)
	}
	ref, err := k.target.Resolve(s)
	if err != nil {
		return KubeActionSpec{}, fmt.Errorf("action %s: %w", a.Name, err)
	}
	spec := KubeActionSpec{
		Target: ref, Set: k.set, Min: k.min, Max: k.max,
		Container: k.container, Name: k.name, Key: k.key, Wait: k.wait,
	}
	if k.value != nil {
		v, err := a.rb.evalString(k.value, s, "value")
		if err != nil {
			return KubeActionSpec{}, fmt.Errorf("action %s: %w", a.Name, err)
		}
		if len(v) > maxKubeValueBytes {
			return KubeActionSpec{}, fmt.Errorf("action %s: value refused: %d bytes, more than %d", a.Name, len(v), maxKubeValueBytes)
		}
		spec.Value = v
	}
	return spec, nil
}

// kubeAction parses the block of a kubernetes_* action kind.
func (p *parser) kubeAction(block *hcl.Block) (*kubeActionDecl, hcl.Diagnostics) {
	ctx := blockRange(block)
	k := &kubeActionDecl{}
	var diags, d hcl.Diagnostics
	workloads := []string{TargetDeployment, TargetStatefulSet}
	switch block.Type {
	case KindKubeScale:
		var raw rawKubeScale
		if d := gohcl.DecodeBody(block.Body, staticCtx, &raw); d.HasErrors() {
			return nil, d
		}
		k.target, diags = p.targetRef(raw.Target, block.Type, ctx, workloads...)
		k.min, k.max = raw.Min, raw.Max
		k.set, d = checkAmount(amountBounds{
			set: raw.Set, setRange: raw.SetRange,
			min: raw.Min, minRange: raw.MinRange,
			max: raw.Max, maxRange: raw.MaxRange,
			what: "replica count", limit: maxKubeReplicas, unit: "replicas",
		}, ctx)
		diags = append(diags, d...)
		k.wait, d = kubeWait(raw.Wait, raw.WaitRange, ctx)
		diags = append(diags, d...)
	case KindKubeRestart, KindKubeRollback:
		var raw rawKubeWorkload
		if d := gohcl.DecodeBody(block.Body, staticCtx, &raw); d.HasErrors() {
			return nil, d
		}
		kinds := workloads
		if block.Type == KindKubeRollback {
			// Rollback returns to the template of the previous
			// ReplicaSet, and only Deployments have ReplicaSets.
			kinds = []string{TargetDeployment}
		}
		k.target, diags = p.targetRef(raw.Target, block.Type, ctx, kinds...)
		k.wait, d = kubeWait(raw.Wait, raw.WaitRange, ctx)
		diags = append(diags, d...)
	case KindKubeDeletePod:
		var raw rawKubeDeletePod
		if d := gohcl.DecodeBody(block.Body, staticCtx, &raw); d.HasErrors() {
			return nil, d
		}
		k.target, diags = p.targetRef(raw.Target, block.Type, ctx, workloads...)
	case KindKubeSetEnv:
		var raw rawKubeSetEnv
		if d := gohcl.DecodeBody(block.Body, staticCtx, &raw); d.HasErrors() {
			return nil, d
		}
		k.target, diags = p.targetRef(raw.Target, block.Type, ctx, workloads...)
		if raw.Container != nil {
			k.container = *raw.Container
			if errs := validation.IsDNS1123Label(k.container); len(errs) > 0 {
				diags = append(diags, newDiag("Invalid container name",
					fmt.Sprintf("container %s is not a container name: %s.", quoteShort(k.container), strings.Join(errs, "; ")), raw.ContainerRange, ctx))
			}
		}
		k.name = raw.Name
		if errs := validation.IsEnvVarName(k.name); len(errs) > 0 {
			diags = append(diags, newDiag("Invalid environment variable name",
				fmt.Sprintf("name %s is not an environment variable name: %s.", quoteShort(k.name), strings.Join(errs, "; ")), raw.NameRange, ctx))
		}
		k.value = raw.Value
		diags = append(diags, p.kubeValue(raw.Value, ctx)...)
		k.wait, d = kubeWait(raw.Wait, raw.WaitRange, ctx)
		diags = append(diags, d...)
	case KindKubePatchConfigMap:
		var raw rawKubePatchConfigMap
		if d := gohcl.DecodeBody(block.Body, staticCtx, &raw); d.HasErrors() {
			return nil, d
		}
		k.target, diags = p.targetRef(raw.Target, block.Type, ctx, TargetConfigMap)
		k.key = raw.Key
		if errs := validation.IsConfigMapKey(k.key); len(errs) > 0 {
			diags = append(diags, newDiag("Invalid ConfigMap key",
				fmt.Sprintf("key %s is not a ConfigMap key: %s.", quoteShort(k.key), strings.Join(errs, "; ")), raw.KeyRange, ctx))
		}
		k.value = raw.Value
		diags = append(diags, p.kubeValue(raw.Value, ctx)...)
	default:
		// Unreachable: actionSchema lists exactly the kinds handled above.
		return nil, hcl.Diagnostics{newDiag("Unsupported action kind",
			fmt.Sprintf("%s is not a Kubernetes action kind.", block.Type), block.DefRange, ctx)}
	}
	return k, diags
}

// kubeValue checks an env or ConfigMap value: a string over alert.* and
// diagnosis.*, written into the object as is (Kubernetes stores any
// string, so there is nothing to escape), and no larger than 32 KiB when
// it is a literal.
func (p *parser) kubeValue(expr hcl.Expression, ctx hcl.Range) hcl.Diagnostics {
	diags := p.checkExpr(expr, exprUse{what: "value", str: true, allowDiagnosis: true}, ctx)
	if diags.HasErrors() || len(expr.Variables()) > 0 {
		return diags
	}
	if v, d := expr.Value(staticCtx); !d.HasErrors() && v.Type() == cty.String && !v.IsNull() && len(v.AsString()) > maxKubeValueBytes {
		diags = append(diags, newDiag("Value too large",
			fmt.Sprintf("value is %d bytes; at most %d (32 KiB) are allowed, because it is recorded in workflow history.", len(v.AsString()), maxKubeValueBytes),
			expr.Range(), ctx))
	}
	return diags
}

// kubeWait parses the optional wait of a workload action.
func kubeWait(s *string, rng, ctx hcl.Range) (time.Duration, hcl.Diagnostics) {
	if s == nil {
		return 0, nil
	}
	d, diags := parseDuration(*s, "wait", rng, ctx)
	if diags == nil && (d < minKubeWait || d > maxKubeWait) {
		diags = hcl.Diagnostics{newDiag("Invalid duration",
			fmt.Sprintf("wait = %q; want 1s to 30m. Remove wait to go on without waiting for the rollout.", *s), rng, ctx)}
	}
	return d, diags
}
