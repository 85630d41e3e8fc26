// Package bearer reads and compares bearer tokens, the one way the webhook
// and the operator API authenticate callers. Tokens are compared as SHA-256
// digests in constant time, so neither their content nor their length leaks
// through timing.
package bearer

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

const prefix = "Bearer "

// Digest is a token's SHA-256.
type Digest [sha256.Size]byte

// Of returns the digest of a configured token.
func Of(token string) Digest { return sha256.Sum256([]byte(token)) }

// FromHeader returns the digest of the token in an Authorization header,
// or false when the header carries no bearer token.
func FromHeader(header string) (Digest, bool) {
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return Digest{}, false
	}
	tok := strings.TrimSpace(header[len(prefix):])
	if tok == "" {
		return Digest{}, false
	}
	return Of(tok), true
}

// Equal compares two digests in constant time.
func (d Digest) Equal(o Digest) bool { return subtle.ConstantTimeCompare(d[:], o[:]) == 1 }
