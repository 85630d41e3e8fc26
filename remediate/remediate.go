// Package remediate holds the mutating activities runbooks' remediate blocks
// run. Each reads the current state first and then sets an absolute value,
// so a retried or replayed activity can never apply a change twice, and each
// records the prior value for rollback and for the incident record.
package remediate

import (
	"log/slog"
	"time"

	"github.com/firebreak-dev/firebreak/internal/logging"
)

// Application error types this package returns. They are stable strings:
// workflows and retry policies match on them. All are non-retryable:
// retrying cannot fix the input or the configuration.
const (
	// ErrTypeSecretNotFound: the secret holding a DSN could not be resolved.
	ErrTypeSecretNotFound = "secret-not-found"
	// ErrTypeInvalidDatabase: a database name was refused before any
	// connection because it is not a plain identifier.
	ErrTypeInvalidDatabase = "pgbouncer-invalid-database"
	// ErrTypeInvalidPoolSize: the requested pool size is out of range.
	ErrTypeInvalidPoolSize = "pgbouncer-invalid-pool-size"
	// ErrTypeDatabaseNotFound: PgBouncer does not pool that database.
	ErrTypeDatabaseNotFound = "pgbouncer-database-not-found"
	// ErrTypeOwnPoolSize: the database has its own pool_size, so
	// default_pool_size does not apply to it.
	ErrTypeOwnPoolSize = "pgbouncer-own-pool-size"
)

// Pool size bounds PgBouncerPoolSet accepts; beyond 10000 server
// connections a value is a runbook mistake, not a remediation.
const (
	MinPoolSize = 1
	MaxPoolSize = 10000
)

// defaultTimeout bounds one activity's admin-console session when
// Activities.Timeout is zero.
const defaultTimeout = 10 * time.Second

// SecretSource resolves a secret by name; it is defined here, by its
// consumer, so tests can substitute it. internal/secrets.Source satisfies
// it. Errors must name the secret, never its value.
type SecretSource interface {
	Secret(name string) (string, error)
}

// Activities are the remediation activities; one instance is registered per
// worker and shared by all workflows.
type Activities struct {
	Secrets SecretSource  // resolves the DSN secrets inputs name
	Log     *slog.Logger  // where mutations are logged; nil discards
	Timeout time.Duration // bounds each activity's admin session; 0 means 10s
}

// logger returns the configured logger or one that discards.
func (a *Activities) logger() *slog.Logger { return logging.OrDiscard(a.Log) }

// timeout returns the per-activity session bound.
func (a *Activities) timeout() time.Duration {
	if a.Timeout <= 0 {
		return defaultTimeout
	}
	return a.Timeout
}
