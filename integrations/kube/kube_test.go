package kube

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name  string
		kind  NameKind
		value string
		want  string // the message; "" means valid
	}{
		{"namespace", Namespace, "shop", ""},
		{"workload", WorkloadName, "checkout.v2", ""},
		{"env var", EnvVarName, "LOG_LEVEL", ""},
		{"configmap key", ConfigMapKey, "app.yaml", ""},
		{"namespace traversal", Namespace, "../x", `namespace "../x" (4 bytes) refused before any API call: a lowercase RFC 1123 label must consist`},
		{"newline kept visible", PodName, "web\n", `pod name "web\n" (4 bytes) refused`},
		{"long name cut", WorkloadName, strings.Repeat("a", 300), `name "` + strings.Repeat("a", 80) + `..." (300 bytes) refused`},
		{"container uppercase", ContainerName, "Web", `container "Web" (3 bytes) refused`},
		{"env var with =", EnvVarName, "A=B", `env var "A=B" (3 bytes) refused`},
		{"configmap key traversal", ConfigMapKey, "../k", `configmap key "../k" (4 bytes) refused`},
		{"configmap name", ConfigMapName, "a;b", `configmap name "a;b" (3 bytes) refused`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateName(tc.kind, tc.value)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ne *NameError
			if !errors.As(err, &ne) || ne.Kind != tc.kind || ne.Value != tc.value {
				t.Fatalf("err = %#v, want a *NameError for %q", err, tc.value)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("message %q\nwant prefix %q", err, tc.want)
			}
		})
	}
}

func TestValidateNamespaced(t *testing.T) {
	if err := ValidateNamespaced("shop", PodName, "web-0"); err != nil {
		t.Fatal(err)
	}
	var ne *NameError
	if err := ValidateNamespaced("Shop", PodName, "Web"); !errors.As(err, &ne) || ne.Kind != Namespace {
		t.Fatalf("err = %v, want the namespace refused first", err)
	}
	if err := ValidateNamespaced("shop", ConfigMapName, "Web"); !errors.As(err, &ne) || ne.Kind != ConfigMapName {
		t.Fatalf("err = %v, want the configmap name refused", err)
	}
}

func TestClassify(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	tests := []struct {
		name          string
		err           error
		wantType      string
		wantRetryable bool
	}{
		{"not found", apierrors.NewNotFound(gr, "web"), ErrTypeNotFound, false},
		{"wrapped not found", fmt.Errorf("get: %w", apierrors.NewNotFound(gr, "web")), ErrTypeNotFound, false},
		{"forbidden", apierrors.NewForbidden(gr, "web", errors.New("rbac")), ErrTypeForbidden, false},
		{"unauthorized", apierrors.NewUnauthorized("token"), ErrTypeForbidden, false},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "web", field.ErrorList{field.Invalid(field.NewPath("spec"), 1, "no")}), ErrTypeRejected, false},
		{"bad request", apierrors.NewBadRequest("no"), ErrTypeRejected, false},
		{"conflict", apierrors.NewConflict(gr, "web", errors.New("changed")), "", true},
		{"timeout", apierrors.NewServerTimeout(gr, "get", 1), "", true},
		{"internal", apierrors.NewInternalError(errors.New("etcd")), "", true},
		{"connection refused", errors.New("dial tcp: connection refused"), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ, retryable := Classify(tc.err)
			if typ != tc.wantType || retryable != tc.wantRetryable {
				t.Fatalf("Classify = %q, %v; want %q, %v", typ, retryable, tc.wantType, tc.wantRetryable)
			}
		})
	}
}

func TestNameKindString(t *testing.T) {
	for k := Namespace; int(k) < len(nameKinds); k++ {
		if nameKinds[k].what == "" || nameKinds[k].rule == nil {
			t.Errorf("kind %d has no table entry", k)
		}
	}
	if got := NameKind(99).String(); got != "NameKind(99)" {
		t.Errorf("unknown kind = %q", got)
	}
}
