// Package secrets resolves the secrets runbooks and activities refer to by
// name, so credentials never travel in workflow inputs or history: a name
// is looked up at run time in a directory of files (one file per secret, as
// mounted by Kubernetes or systemd credentials) and then in the environment.
package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultEnvPrefix is the environment prefix used when Source.EnvPrefix is
// empty: secret "db_admin" is read from FIREBREAK_SECRET_DB_ADMIN.
const DefaultEnvPrefix = "FIREBREAK_SECRET_"

// nameRE is the only shape a secret name may have. It rules out path
// separators, dots and upper case, so a name can never escape Dir and maps
// to exactly one environment variable.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ErrNotFound is wrapped by Secret when no file or variable holds the
// secret, so callers can tell "not configured" from "unreadable".
var ErrNotFound = errors.New("not found")

// ErrInvalidName is wrapped by Secret when a name is refused before any
// lookup.
var ErrInvalidName = errors.New("invalid secret name")

// Source says where secrets live. The zero value reads only the
// environment with DefaultEnvPrefix.
type Source struct {
	Dir       string // directory with one file per secret; empty: files are not consulted
	EnvPrefix string // environment variable prefix; empty: DefaultEnvPrefix
}

// Secret returns the value of secret name: the content of Dir/name with one
// trailing newline trimmed when that file exists, else the environment
// variable <EnvPrefix><NAME>. Errors name the secret, never a value.
func (s Source) Secret(name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("secret %q: %w: must match %s", name, ErrInvalidName, nameRE)
	}
	if s.Dir != "" {
		b, err := os.ReadFile(filepath.Join(s.Dir, name))
		switch {
		case err == nil:
			v := strings.TrimSuffix(string(b), "\n")
			return strings.TrimSuffix(v, "\r"), nil
		case !errors.Is(err, fs.ErrNotExist):
			// The path error names only Dir and the validated name.
			return "", fmt.Errorf("secret %q: %w", name, err)
		}
	}
	prefix := s.EnvPrefix
	if prefix == "" {
		prefix = DefaultEnvPrefix
	}
	if v, ok := os.LookupEnv(prefix + strings.ToUpper(name)); ok {
		return v, nil
	}
	return "", fmt.Errorf("secret %q %w", name, ErrNotFound)
}
