package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/config"
)

// The dev operator: `firebreak dev` with no operator blocks in its config
// makes one, so that approve, deny, ack, pause, resume and guardrails work
// against it out of the box. Its token is random and lives in the state
// directory, readable by its owner only; the operator commands read it
// from there when given no other token. `firebreak serve` never makes one.
const (
	defaultStateDir = ".firebreak"     // firebreak dev's -state default
	devOperatorName = "dev"            // recorded as operator:dev
	devTokenFile    = "operator-token" // under the state directory
	devTokenBytes   = 32               // 64 hex digits
)

// devOperator returns the dev operator, its token read from stateDir when
// a valid one is there (so a restart keeps it), else a new one written
// there with mode 0600.
func devOperator(stateDir string) (config.Operator, error) {
	path := filepath.Join(stateDir, devTokenFile)
	token, err := readDevToken(path)
	switch {
	case err != nil:
		if token, err = writeDevToken(path); err != nil {
			return config.Operator{}, err
		}
	default:
		// Kept from an earlier run: still for its owner's eyes only.
		if err := os.Chmod(path, 0o600); err != nil {
			return config.Operator{}, fmt.Errorf("operator token: %w", err)
		}
	}
	return config.Operator{Name: devOperatorName, Token: config.NewSecret(token)}, nil
}

// readDevToken reads a dev operator token file: one line of at least 64
// hex digits. It never puts the file's content in an error.
func readDevToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read operator token: %w", err)
	}
	token := strings.TrimRight(string(b), "\r\n")
	if len(token) < 2*devTokenBytes {
		return "", fmt.Errorf("operator token in %s: shorter than %d characters", path, 2*devTokenBytes)
	}
	if _, err := hex.DecodeString(token); err != nil {
		return "", fmt.Errorf("operator token in %s: not hexadecimal", path)
	}
	return token, nil
}

// writeDevToken makes a token and writes it to path (mode 0600) through a
// temporary file, so that a reader never sees half a token.
func writeDevToken(path string) (string, error) {
	raw := make([]byte, devTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("make operator token: %w", err)
	}
	token := hex.EncodeToString(raw)
	f, err := os.CreateTemp(filepath.Dir(path), devTokenFile+".*")
	if err != nil {
		return "", fmt.Errorf("write operator token: %w", err)
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return "", fmt.Errorf("write operator token: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write operator token: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write operator token: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("write operator token: %w", err)
	}
	return token, nil
}
