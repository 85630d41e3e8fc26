package runbooks_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/firebreak-dev/firebreak/runbooks"
)

// FuzzParseEval parses arbitrary runbook source and, when it parses,
// evaluates every expression and template in it against label and
// annotation values from the fuzzer. Properties:
//
//   - no panic; invalid source yields error diagnostics with a position and
//     no runbook; a runbook carries its exact source and its SHA-256;
//   - Matches agrees with its matchers (a missing label reads as "");
//   - a PromQL query (diagnose and verify) keeps its shape whatever the
//     label values: rendered with hostile values and with the same values
//     with every ASCII punctuation, control or non-printable character
//     replaced by a letter, the text outside double-quoted strings is the
//     same, so no value closes its string ("a\"}" or "\\" or "\n" cannot
//     break out). Queries whose text outside strings depends on label values
//     at all (a directive that chooses its text by a label's value) are out
//     of this property's reach; a string interpolated outside a double-quoted
//     string is refused (TestPromQLInterpolationOutsideDoubleQuotes);
//   - every Kubernetes name resolved from labels (targets, kubernetes_*
//     actions, kubernetes_rollout diagnoses) is a DNS-1123 label (namespace)
//     and subdomain (name), or the call is refused with an error; rendered
//     values stay within 32 KiB; a PgBouncer database is ValidDatabaseName;
//   - evaluation is deterministic (the workflow replays it): the same scope
//     gives the same query;
//   - IncidentKey tells apart label sets that differ in a group_by value.
//
// Seeds: runbooks/testdata/valid, the examples' runbooks, and
// testdata/fuzz/FuzzParseEval.
func FuzzParseEval(f *testing.F) {
	values := []string{
		"checkout\x00shop\x00app",
		"a\"b}\x00x\\\x00\n",
		"\") or vector(1) #\x00\"}[5m]) > 0 or up{job=\"\x00",
		"../etc\x00Shop\x00a;b",
		"\xff\xfe\x00\u200d\x00\u00e9",
	}
	n := 0
	for _, dir := range []string{filepath.Join("testdata", "valid"), filepath.Join("..", "examples")} {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !runbooks.IsRunbookFile(p) {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for i, v := range values {
				f.Add(src, v, float64(i*7), i%2 == 0, "connection_timeout")
			}
			n++
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	if n < 5 {
		f.Fatalf("only %d seed runbooks", n)
	}
	f.Fuzz(func(t *testing.T, src []byte, labelValues string, value float64, found bool, class string) {
		rb, diags := runbooks.Parse("fuzz.hcl", src)
		if diags.HasErrors() {
			if rb != nil {
				t.Fatal("Parse returned a runbook with errors")
			}
			checkPositions(t, diags, src)
			return
		}
		if rb == nil {
			t.Fatal("Parse returned neither a runbook nor errors")
		}
		sum := sha256.Sum256(src)
		if string(rb.Source) != string(src) || rb.SHA256 != hex.EncodeToString(sum[:]) || rb.Filename != "fuzz.hcl" {
			t.Fatal("runbook does not carry its exact source and digest")
		}
		names, annNames := referencedNames(rb, src)
		vals := strings.Split(labelValues, "\x00")
		hostile := assign(names, vals, 0)
		hostileAnn := assign(annNames, vals, 1)
		scope := fuzzScope(rb, hostile, hostileAnn, value, found, class)
		benign1 := fuzzScope(rb, defang(hostile, 'x'), defang(hostileAnn, 'x'), value, found, class)
		benign2 := fuzzScope(rb, defang(hostile, 'y'), defang(hostileAnn, 'y'), value, found, class)

		checkMatches(t, rb, hostile)
		checkIncidentKey(t, rb, hostile, assign(names, vals, 1))
		_, _ = rb.ShouldEscalate(scope)
		for _, tg := range rb.Targets {
			ref, err := tg.Resolve(scope)
			if err == nil {
				checkRef(t, "target "+tg.Name, ref)
			}
		}
		for _, d := range rb.Diagnoses {
			switch {
			case d.Prometheus != nil:
				checkQuery(t, "diagnose "+d.Name, func(s *runbooks.Scope) (string, error) {
					q, _, _, err := d.PromQuery(s)
					return q, err
				}, scope, benign1, benign2)
			case d.Kubernetes != nil:
				spec, err := d.KubeRollout(scope)
				if err == nil {
					checkRef(t, "diagnose "+d.Name, spec.Target)
				}
			}
			_ = d.ClassNames()
		}
		for _, m := range rb.Remediations {
			_, _ = m.Holds(scope)
			for _, a := range m.Actions {
				checkAction(t, a, scope)
			}
			if v := m.Verify; v != nil {
				checkQuery(t, "verify of "+m.Name, v.PromQuery, scope, benign1, benign2)
				_ = v.Passes(value)
			}
		}
		_ = rb.Escalate.Sinks()
	})
}

// checkPositions holds error diagnostics to a position inside the source.
func checkPositions(t *testing.T, diags hcl.Diagnostics, src []byte) {
	t.Helper()
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Subject == nil {
			t.Fatalf("error %q has no position", d.Summary)
		}
		if s := d.Subject; s.Filename != "fuzz.hcl" || s.Start.Line < 1 || s.Start.Column < 1 || s.Start.Byte > len(src) || s.End.Byte > len(src) || s.Start.Byte > s.End.Byte {
			t.Fatalf("error %q at impossible position %s (source is %d bytes)", d.Summary, s, len(src))
		}
	}
}

var (
	labelRef      = regexp.MustCompile(`alert\.(labels|annotations)(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\["((?:[^"\\]|\\.)*)"\])`)
	fuzzExtraName = []string{"alertname", "namespace", "service", "db", "job"}
)

// referencedNames returns the label names a runbook can read (by a
// reference in its source, its matchers and its group_by) and the
// annotation names it references.
func referencedNames(rb *runbooks.Runbook, src []byte) (labelNames, annNames []string) {
	labelNames = append(labelNames, fuzzExtraName...)
	labelNames = append(labelNames, rb.GroupBy...)
	for _, m := range rb.Matchers {
		labelNames = append(labelNames, m.Name)
	}
	for _, m := range labelRef.FindAllSubmatch(src, -1) {
		name := string(m[2])
		if name == "" {
			if s, err := strconv.Unquote(`"` + string(m[3]) + `"`); err == nil {
				name = s
			}
		}
		if string(m[1]) == "labels" {
			labelNames = append(labelNames, name)
		} else {
			annNames = append(annNames, name)
		}
	}
	slices.Sort(labelNames)
	slices.Sort(annNames)
	return slices.Compact(labelNames), slices.Compact(annNames)
}

// assign gives names values in turn, starting at offset.
func assign(names, vals []string, offset int) map[string]string {
	m := make(map[string]string, len(names))
	for i, n := range names {
		m[n] = vals[(i+offset)%len(vals)]
	}
	return m
}

// defang replaces what could let a value leave a PromQL string (ASCII
// punctuation and controls, non-printable runes, invalid UTF-8) by c,
// rune for rune, keeping letters, digits and printable non-ASCII text.
func defang(ls map[string]string, c rune) map[string]string {
	out := make(map[string]string, len(ls))
	for k, v := range ls {
		var b strings.Builder
		for i, w := 0, 0; i < len(v); i += w {
			r, size := utf8.DecodeRuneInString(v[i:])
			w = size
			risky := r == utf8.RuneError || !strconv.IsPrint(r) || (r < utf8.RuneSelf && !isAlnum(byte(r)))
			if risky {
				r = c
			}
			b.WriteRune(r)
		}
		out[k] = b.String()
	}
	return out
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// fuzzScope builds a scope with every diagnosis filled from the fuzzer's
// values, the way the workflow records them.
func fuzzScope(rb *runbooks.Runbook, ls, ann map[string]string, value float64, found bool, class string) *runbooks.Scope {
	s := &runbooks.Scope{
		Alert: runbooks.Alert{
			Status: "firing", Labels: ls, Annotations: ann, Fingerprint: "0123456789abcdef", GeneratorURL: ls["alertname"],
		},
		Diagnosis: map[string]runbooks.Diagnosis{},
	}
	if !found {
		s.Alert.Status = "resolved"
	}
	for _, d := range rb.Diagnoses {
		switch {
		case d.Kubernetes != nil && found:
			s.Diagnosis[d.Name] = runbooks.Diagnosis{Found: true, Kube: &runbooks.KubeView{
				Class:   class,
				Rollout: runbooks.KubeRolloutView{Revision: 3, Desired: int64(value), Images: []string{class}, ChangeCause: class},
				Pods:    runbooks.KubePodsView{Total: 3, Restarts: 4, TerminationReasons: map[string]int64{class: 1}, WaitingReasons: map[string]int64{"CrashLoopBackOff": 2}},
				Events:  []runbooks.KubeEventView{{Type: "Warning", Reason: class, Message: class, Count: 1}},
				Logs:    runbooks.KubeLogsView{Lines: 10, Matches: map[string]int64{class: 11}},
			}}
		case d.Kubernetes != nil:
			s.Diagnosis[d.Name] = runbooks.Diagnosis{Error: class}
		case found:
			s.Diagnosis[d.Name] = runbooks.Diagnosis{Found: true, Value: value, Series: []runbooks.Series{{Labels: ls, Value: value}}}
		default:
			s.Diagnosis[d.Name] = runbooks.Diagnosis{Error: class}
		}
	}
	return s
}

// checkMatches holds Matches to its matchers.
func checkMatches(t *testing.T, rb *runbooks.Runbook, ls map[string]string) {
	t.Helper()
	want := true
	for _, m := range rb.Matchers {
		want = want && m.Matches(ls[m.Name])
	}
	if got := rb.Matches(ls); got != want {
		t.Fatalf("Matches(%q) = %t, matchers say %t", ls, got, want)
	}
	set := &runbooks.Set{Runbooks: []*runbooks.Runbook{rb}}
	if (set.Match(ls) == rb) != want {
		t.Fatalf("Set.Match(%q) disagrees with Matches", ls)
	}
}

// checkIncidentKey: two label sets share an incident key only when they
// agree on every group_by label.
func checkIncidentKey(t *testing.T, rb *runbooks.Runbook, a, b map[string]string) {
	t.Helper()
	ka, kb := rb.IncidentKey(a, "fp"), rb.IncidentKey(b, "fp")
	if ka != rb.IncidentKey(a, "fp") {
		t.Fatal("IncidentKey is not deterministic")
	}
	if ka != kb {
		return
	}
	for _, g := range rb.GroupBy {
		if a[g] != b[g] {
			t.Fatalf("labels %q and %q share incident key %q though %s differs", a, b, ka, g)
		}
	}
}

// checkQuery renders a PromQL template for the hostile scope and two
// defanged ones, and holds the hostile rendering to the defanged shape.
func checkQuery(t *testing.T, what string, render func(*runbooks.Scope) (string, error), hostile, benign1, benign2 *runbooks.Scope) {
	t.Helper()
	qh, err := render(hostile)
	if err != nil {
		return
	}
	if again, err := render(hostile); err != nil || again != qh {
		t.Fatalf("%s: rendering twice gave %q then %q (%v)", what, qh, again, err)
	}
	q1, err1 := render(benign1)
	q2, err2 := render(benign2)
	if err1 != nil || err2 != nil {
		return
	}
	s1, s2 := promSkeleton(q1), promSkeleton(q2)
	if s1 != s2 {
		return // the text outside strings depends on label values: not an escaping question
	}
	if sh := promSkeleton(qh); sh != s1 {
		t.Fatalf("%s: a label value changed the query's shape outside its strings:\nquery:    %s\nshape:    %s\nexpected: %s", what, qh, sh, s1)
	}
}

// promSkeleton is a PromQL query with the contents of every double-quoted
// string (PromQL's lexing: a backslash escapes the next character) replaced
// by S; an unterminated string is kept and marked.
func promSkeleton(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] != '"' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		for j < len(q) && q[j] != '"' && q[j] != '\n' {
			if q[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(q) || q[j] != '"' {
			b.WriteString("<unterminated>")
			b.WriteString(q[i:])
			return b.String()
		}
		b.WriteString(`"S"`)
		i = j
	}
	return b.String()
}

// checkRef: a resolved reference names a valid Kubernetes object.
func checkRef(t *testing.T, what string, ref runbooks.TargetRef) {
	t.Helper()
	if errs := validation.IsDNS1123Label(ref.Namespace); len(errs) > 0 {
		t.Fatalf("%s: accepted namespace %q: %s", what, ref.Namespace, errs)
	}
	if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
		t.Fatalf("%s: accepted name %q: %s", what, ref.Name, errs)
	}
	switch ref.Kind {
	case runbooks.TargetDeployment, runbooks.TargetStatefulSet, runbooks.TargetConfigMap:
	default:
		t.Fatalf("%s: accepted kind %q", what, ref.Kind)
	}
}

// checkAction resolves an action and holds what it accepts to the limits.
func checkAction(t *testing.T, a *runbooks.Action, s *runbooks.Scope) {
	t.Helper()
	_ = a.CanRestore()
	_ = a.TargetName()
	if a.Kind == runbooks.KindPgBouncerPoolSize {
		spec, err := a.PoolSize(s)
		if err == nil && !runbooks.ValidDatabaseName(spec.Database) {
			t.Fatalf("action %s: accepted database %q", a.Name, spec.Database)
		}
		return
	}
	spec, err := a.Kube(s)
	if err != nil {
		return
	}
	checkRef(t, "action "+a.Name, spec.Target)
	if len(spec.Value) > 32<<10 {
		t.Fatalf("action %s: accepted a %d-byte value", a.Name, len(spec.Value))
	}
	if a.Kind == runbooks.KindKubeSetEnv {
		if errs := validation.IsEnvVarName(spec.Name); len(errs) > 0 {
			t.Fatalf("action %s: accepted variable %q", a.Name, spec.Name)
		}
	}
	if a.Kind == runbooks.KindKubePatchConfigMap {
		if errs := validation.IsConfigMapKey(spec.Key); len(errs) > 0 {
			t.Fatalf("action %s: accepted key %q", a.Name, spec.Key)
		}
	}
}
