package config

import "encoding/json"

// redacted is what a Secret prints as, wherever it ends up.
const redacted = "<redacted>"

// Secret holds a credential from the configuration. Every way of printing
// it (fmt verbs, %#v, JSON, text encoders such as slog) yields a placeholder,
// so a logged or dumped Config never leaks it; call Value to use it.
type Secret struct {
	value string
}

// NewSecret wraps a credential, for tests and for callers that build a
// Config in code.
func NewSecret(v string) Secret { return Secret{value: v} }

// Value returns the credential itself.
func (s Secret) Value() string { return s.value }

// IsSet reports whether a credential was configured.
func (s Secret) IsSet() bool { return s.value != "" }

// String redacts the value; an unset secret prints as "".
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// GoString redacts the value in %#v output.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// MarshalJSON redacts the value in JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText redacts the value for text encoders such as log/slog.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
