// Package kube holds what firebreak's Kubernetes diagnosis and remediation
// share: the stable error type strings, the naming rules a name from an
// alert label must pass before any API call, and the classification of API
// errors into those a retry cannot fix. It is a leaf: callers turn its
// answers into their own errors (Temporal application errors in activities).
package kube

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Error types of the Kubernetes activities. They are stable strings:
// workflows, retry policies and docs/remediation.md match on them. Each
// names a failure retrying cannot fix.
const (
	// ErrTypeInvalidName: a namespace, object, container, env var or key
	// name is not a valid Kubernetes name. Names come from alert labels,
	// so they are refused before any API call.
	ErrTypeInvalidName = "kubernetes-invalid-name"
	// ErrTypeInvalidInput: an input other than a name is out of range (an
	// unsupported kind, negative replicas, a malformed timestamp, an
	// oversized value, a pattern that does not compile). Refused before
	// any API call.
	ErrTypeInvalidInput = "kubernetes-invalid-input"
	// ErrTypeNotFound: the target object (or the named container or key's
	// object) does not exist.
	ErrTypeNotFound = "kubernetes-not-found"
	// ErrTypeForbidden: the API server refused the credentials or the RBAC
	// role lacks a verb; deploy/rbac.yaml lists what is needed.
	ErrTypeForbidden = "kubernetes-forbidden"
	// ErrTypeRejected: the API server rejected the change as invalid (for
	// example a value that fails the object's validation).
	ErrTypeRejected = "kubernetes-rejected"
	// ErrTypeNotConfigured: the worker has no Kubernetes client.
	ErrTypeNotConfigured = "kubernetes-not-configured"
)

// NameKind is what a name names; each kind has its Kubernetes naming rule
// and the words an error uses for it.
type NameKind int

// The kinds of name the activities check.
const (
	Namespace     NameKind = iota // a namespace: a DNS-1123 label
	WorkloadName                  // a Deployment's or StatefulSet's name: a DNS-1123 subdomain
	ConfigMapName                 // a ConfigMap's name: a DNS-1123 subdomain
	PodName                       // a pod's name: a DNS-1123 subdomain
	ContainerName                 // a container's name: a DNS-1123 label
	EnvVarName                    // an environment variable's name
	ConfigMapKey                  // a key of a ConfigMap's data
)

// nameKinds is the table of naming rules, indexed by NameKind.
var nameKinds = [...]struct {
	what string                      // how an error names the kind
	rule func(value string) []string // apimachinery's check; nil or empty means valid
}{
	Namespace:     {"namespace", validation.IsDNS1123Label},
	WorkloadName:  {"name", validation.IsDNS1123Subdomain},
	ConfigMapName: {"configmap name", validation.IsDNS1123Subdomain},
	PodName:       {"pod name", validation.IsDNS1123Subdomain},
	ContainerName: {"container", validation.IsDNS1123Label},
	EnvVarName:    {"env var", validation.IsEnvVarName},
	ConfigMapKey:  {"configmap key", validation.IsConfigMapKey},
}

// String is how errors name the kind, e.g. "pod name".
func (k NameKind) String() string {
	if k < 0 || int(k) >= len(nameKinds) {
		return fmt.Sprintf("NameKind(%d)", int(k))
	}
	return nameKinds[k].what
}

// NameError is a name refused by its kind's rule. Its message quotes the
// name with %q, so newlines and control characters stay visible, and cuts
// it at 80 bytes.
type NameError struct {
	Kind     NameKind // what the name names
	Value    string   // the refused name
	Problems []string // why, in apimachinery's words
}

// Error says which name was refused and why, without the caller's context.
func (e *NameError) Error() string {
	shown := e.Value
	if len(shown) > 80 {
		shown = shown[:80] + "..."
	}
	return fmt.Sprintf("%s %q (%d bytes) refused before any API call: %s",
		e.Kind, shown, len(e.Value), strings.Join(e.Problems, "; "))
}

// ValidateName checks value by kind's naming rule and returns nil or a
// *NameError. An unknown kind is a programming error and panics.
func ValidateName(kind NameKind, value string) error {
	if problems := nameKinds[kind].rule(value); len(problems) > 0 {
		return &NameError{Kind: kind, Value: value, Problems: problems}
	}
	return nil
}

// ValidateNamespaced checks a namespace and then the name of an object in
// it, returning the first refusal as a *NameError.
func ValidateNamespaced(namespace string, kind NameKind, name string) error {
	if err := ValidateName(Namespace, namespace); err != nil {
		return err
	}
	return ValidateName(kind, name)
}

// Classify sorts an API error: an absent object (ErrTypeNotFound), refused
// credentials or permissions (ErrTypeForbidden) and a change the server
// rejects as invalid (ErrTypeRejected) cannot be fixed by retrying; for
// anything else (timeouts, 5xx, connection errors, exhausted conflicts)
// it returns "" and retryable true.
func Classify(err error) (errType string, retryable bool) {
	switch {
	case apierrors.IsNotFound(err):
		return ErrTypeNotFound, false
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return ErrTypeForbidden, false
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return ErrTypeRejected, false
	}
	return "", true
}
