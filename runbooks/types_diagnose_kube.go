package runbooks

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Bounds of a kubernetes_rollout diagnosis. They match what the diagnose
// activity accepts, so a runbook it would refuse mid-incident fails
// validation instead; they keep a diagnosis small in workflow history.
const (
	maxLogLines = 5000
	maxLogBytes = 1 << 20
	maxClasses  = 50
)

// classNamePattern is a classify class name: a lower-case identifier, so
// that it reads naturally in diagnosis.<name>.class == "bad_config" and as
// a key of logs.matches.
var classNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// KubeDiagnose reads a Deployment or StatefulSet: its rollout, pods, recent
// events and the tail of its pods' logs, which classify sorts into classes.
type KubeDiagnose struct {
	TargetName string            // the target block it reads
	LogLines   int64             // tail lines per container; 0 = the engine's default
	LogBytes   int64             // bytes of log per container and in total; 0 = the engine's default
	Since      time.Duration     // only logs newer than this; 0 = no limit
	Classify   map[string]string // class name -> RE2 pattern; the class matching most lines wins
	DeclRange  hcl.Range         // the kubernetes_rollout block's header

	target *Target
}

// KubeDiagnoseSpec is a kubernetes_rollout diagnosis resolved for one
// alert: what the diagnose activity needs.
type KubeDiagnoseSpec struct {
	Target   TargetRef         // the workload, validated
	LogLines int64             // tail lines per container; 0 = the engine's default
	LogBytes int64             // bytes of log; 0 = the engine's default
	Since    time.Duration     // only logs newer than this; 0 = no limit
	Classify map[string]string // class name -> RE2 pattern (a copy)
}

// rawKubeRollout is the kubernetes_rollout block as written.
type rawKubeRollout struct {
	Target        hcl.Expression `hcl:"target"`
	LogLines      *int64         `hcl:"log_lines,optional"`
	LogLinesRange hcl.Range      `hcl:"log_lines,attr_value_range"`
	LogBytes      *int64         `hcl:"log_bytes,optional"`
	LogBytesRange hcl.Range      `hcl:"log_bytes,attr_value_range"`
	Since         *string        `hcl:"since,optional"`
	SinceRange    hcl.Range      `hcl:"since,attr_value_range"`
}

// KubeRollout resolves a kubernetes_rollout diagnosis for this alert. The
// target's namespace and name are refused, before any API call, unless they
// are valid Kubernetes names.
func (d *Diagnose) KubeRollout(s *Scope) (KubeDiagnoseSpec, error) {
	k := d.Kubernetes
	if k == nil {
		return KubeDiagnoseSpec{}, fmt.Errorf("diagnose %s: not a %s diagnosis", d.Name, DiagnoseKubeRollout)
	}
	ref, err := k.target.Resolve(s)
	if err != nil {
		return KubeDiagnoseSpec{}, fmt.Errorf("diagnose %s: %w", d.Name, err)
	}
	return KubeDiagnoseSpec{
		Target:   ref,
		LogLines: k.LogLines,
		LogBytes: k.LogBytes,
		Since:    k.Since,
		Classify: maps.Clone(k.Classify),
	}, nil
}

// ClassNames returns the classify class names in sorted order: the keys
// logs.matches always holds. It is nil for other diagnoses.
func (d *Diagnose) ClassNames() []string {
	if d.Kubernetes == nil || len(d.Kubernetes.Classify) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(d.Kubernetes.Classify))
}

func (p *parser) kubeDiagnose(block *hcl.Block, classify *hcl.Attribute, ctx hcl.Range) (*KubeDiagnose, hcl.Diagnostics) {
	var raw rawKubeRollout
	if diags := gohcl.DecodeBody(block.Body, staticCtx, &raw); diags.HasErrors() {
		return nil, diags
	}
	k := &KubeDiagnose{DeclRange: block.DefRange}
	t, diags := p.targetRef(raw.Target, DiagnoseKubeRollout, ctx, TargetDeployment, TargetStatefulSet)
	if t != nil {
		k.target, k.TargetName = t, t.Name
	}
	if raw.LogLines != nil {
		k.LogLines = *raw.LogLines
		if k.LogLines < 1 || k.LogLines > maxLogLines {
			diags = append(diags, newDiag("Invalid log_lines",
				fmt.Sprintf("log_lines = %d; want 1 to %d lines per container.", k.LogLines, maxLogLines), raw.LogLinesRange, ctx))
		}
	}
	if raw.LogBytes != nil {
		k.LogBytes = *raw.LogBytes
		if k.LogBytes < 1 || k.LogBytes > maxLogBytes {
			diags = append(diags, newDiag("Invalid log_bytes",
				fmt.Sprintf("log_bytes = %d; want 1 to %d (1 MiB).", k.LogBytes, maxLogBytes), raw.LogBytesRange, ctx))
		}
	}
	var d hcl.Diagnostics
	k.Since, d = optDuration(raw.Since, 0, "since", raw.SinceRange, ctx)
	diags = append(diags, d...)
	if raw.Since != nil && d == nil && k.Since == 0 {
		diags = append(diags, newDiag("Invalid duration",
			"since must be greater than 0; remove it to read logs of any age.", raw.SinceRange, ctx))
	}
	if classify != nil {
		k.Classify, d = classifyPatterns(classify, ctx)
		diags = append(diags, d...)
	}
	if t == nil {
		return nil, diags
	}
	return k, diags
}

// classifyPatterns decodes classify = { class = "regexp" }, checking each
// name and compiling each pattern so that a bad one is reported at its own
// position instead of failing the diagnosis mid-incident.
func classifyPatterns(a *hcl.Attribute, ctx hcl.Range) (map[string]string, hcl.Diagnostics) {
	pairs, d := hcl.ExprMap(a.Expr)
	if d.HasErrors() {
		return nil, hcl.Diagnostics{newDiag("Invalid classify",
			"classify must be a map of class names to regular expressions, like { bad_config = \"(?i)invalid configuration\" }.",
			a.Expr.Range(), ctx)}
	}
	var diags hcl.Diagnostics
	if len(pairs) > maxClasses {
		diags = append(diags, newDiag("Too many classes",
			fmt.Sprintf("classify has %d classes; at most %d are allowed, because each is matched against every log line.", len(pairs), maxClasses),
			a.Expr.Range(), ctx))
	}
	out := make(map[string]string, len(pairs))
	seen := map[string]hcl.Range{}
	for _, pair := range pairs {
		kv, kd := pair.Key.Value(staticCtx)
		if kd.HasErrors() || kv.Type() != cty.String || kv.IsNull() {
			diags = append(diags, newDiag("Invalid class name",
				"A class name must be a literal identifier, like bad_config.", pair.Key.Range(), ctx))
			continue
		}
		name := kv.AsString()
		switch prev, dup := seen[name]; {
		case name == ClassUnknown:
			diags = append(diags, newDiag("Reserved class name",
				fmt.Sprintf("%q is the class of logs that match no pattern; choose another name.", ClassUnknown), pair.Key.Range(), ctx))
			continue
		case !classNamePattern.MatchString(name):
			diags = append(diags, newDiag("Invalid class name",
				fmt.Sprintf("%q must be lower-case letters, digits and '_', not starting with a digit (at most 63), so that conditions can compare and index it.", name),
				pair.Key.Range(), ctx))
			continue
		case dup:
			diags = append(diags, newDiag("Duplicate class",
				fmt.Sprintf("Class %q is already defined at %s.", name, prev), pair.Key.Range(), ctx))
			continue
		}
		seen[name] = pair.Key.Range()
		vv, vd := pair.Value.Value(staticCtx)
		if !vd.HasErrors() {
			vv, vd = patternString(vv, pair.Value.Range(), ctx)
		}
		if vd.HasErrors() {
			diags = append(diags, vd...)
			continue
		}
		pattern := vv.AsString()
		if _, err := regexp.Compile(pattern); err != nil {
			diags = append(diags, newDiag("Invalid classify pattern",
				fmt.Sprintf("The pattern of class %q does not compile: %s. Patterns use RE2 syntax (https://github.com/google/re2/wiki/Syntax).", name, err),
				pair.Value.Range(), ctx))
			continue
		}
		out[name] = pattern
	}
	return out, diags
}

// patternString converts a pattern's static value to a non-null string.
func patternString(v cty.Value, subject, ctx hcl.Range) (cty.Value, hcl.Diagnostics) {
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() || !s.IsKnown() {
		return cty.NilVal, hcl.Diagnostics{newDiag("Invalid classify pattern",
			"A pattern must be a literal string.", subject, ctx)}
	}
	return s, nil
}
