package remediate

import (
	"context"
	"fmt"
	"strconv"

	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/integrations/pgbouncer"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// PoolReadInput names the PgBouncer to read and the database of interest.
type PoolReadInput struct {
	AdminDSNSecret string // name of the secret holding the admin console DSN
	Database       string // the pooled database whose pool size matters
}

// PoolState is PgBouncer's pool configuration as it applies to one
// database, recorded in history so relative changes are computed once.
type PoolState struct {
	Database        string // the database read
	DefaultPoolSize int64  // PgBouncer's current default_pool_size
	PoolSize        int64  // the effective pool size for Database
	// OwnPoolSize is true when Database has its own pool_size in
	// [databases], so default_pool_size does not apply to it. It is
	// detected as PoolSize != DefaultPoolSize; an own pool_size equal to
	// the default is indistinguishable here, and PgBouncerPoolSet detects
	// it after its SET (and restores the prior default).
	OwnPoolSize bool
}

// PoolSetInput asks for an absolute default_pool_size. default_pool_size is
// global: it applies to every database without its own pool_size; Database
// is the one the runbook targets and is checked to follow the default.
type PoolSetInput struct {
	AdminDSNSecret string // name of the secret holding the admin console DSN
	Database       string // the pooled database the change is for
	Size           int64  // the absolute default_pool_size wanted, MinPoolSize..MaxPoolSize
}

// PoolSetResult records what PgBouncerPoolSet did, with the prior value
// for rollback.
type PoolSetResult struct {
	Database string // the database the change was for
	Prior    int64  // default_pool_size before the activity
	Size     int64  // default_pool_size after the activity
	Changed  bool   // false when it already was Size, and no SET was sent
}

// PgBouncerPoolRead reads default_pool_size and Database's effective pool
// size from PgBouncer's admin console.
func (a *Activities) PgBouncerPoolRead(ctx context.Context, in PoolReadInput) (PoolState, error) {
	if err := validateDatabase(in.Database); err != nil {
		return PoolState{}, err
	}
	admin, cancel, err := a.dial(ctx, in.AdminDSNSecret)
	if err != nil {
		return PoolState{}, err
	}
	defer cancel()
	return readState(ctx, admin, in.Database)
}

// PgBouncerPoolSet sets default_pool_size to in.Size, idempotently: when it
// already is in.Size nothing is sent; otherwise it SETs the value and reads
// it back to confirm. It refuses a database with its own pool_size, since
// default_pool_size would not affect it (changing that takes an ini edit
// and RELOAD). The change is not persisted: a RELOAD or restart of
// PgBouncer restores the ini value.
func (a *Activities) PgBouncerPoolSet(ctx context.Context, in PoolSetInput) (PoolSetResult, error) {
	if err := validateDatabase(in.Database); err != nil {
		return PoolSetResult{}, err
	}
	if in.Size < MinPoolSize || in.Size > MaxPoolSize {
		return PoolSetResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("pgbouncer pool set %s: size %d outside %d..%d", in.Database, in.Size, MinPoolSize, MaxPoolSize),
			ErrTypeInvalidPoolSize, nil)
	}
	admin, cancel, err := a.dial(ctx, in.AdminDSNSecret)
	if err != nil {
		return PoolSetResult{}, err
	}
	defer cancel()

	before, err := readState(ctx, admin, in.Database)
	if err != nil {
		return PoolSetResult{}, err
	}
	if before.OwnPoolSize {
		return PoolSetResult{}, ownPoolSizeError(in.Database, before.PoolSize)
	}
	res := PoolSetResult{Database: in.Database, Prior: before.DefaultPoolSize, Size: in.Size}
	if before.DefaultPoolSize == in.Size {
		a.logger().Info("pgbouncer default_pool_size already at target",
			"pgbouncer", admin.Addr(), "database", in.Database, "size", in.Size)
		return res, nil
	}

	if err := admin.SetDefaultPoolSize(ctx, int(in.Size)); err != nil {
		return PoolSetResult{}, fmt.Errorf("pgbouncer pool set %s: %w", in.Database, err)
	}
	res.Changed = true
	a.logger().Info("pgbouncer default_pool_size changed",
		"pgbouncer", admin.Addr(), "database", in.Database, "prior", before.DefaultPoolSize, "size", in.Size)

	after, err := readState(ctx, admin, in.Database)
	if err != nil {
		return PoolSetResult{}, err
	}
	if after.DefaultPoolSize != in.Size {
		return PoolSetResult{}, fmt.Errorf("pgbouncer pool set %s: default_pool_size reads %d after setting %d",
			in.Database, after.DefaultPoolSize, in.Size)
	}
	if after.PoolSize != in.Size {
		// The database's own pool_size happened to equal the old default.
		// Put the default back: the change cannot help this database.
		if err := admin.SetDefaultPoolSize(ctx, int(before.DefaultPoolSize)); err != nil {
			return PoolSetResult{}, fmt.Errorf("pgbouncer pool set %s: restore default_pool_size %d: %w",
				in.Database, before.DefaultPoolSize, err)
		}
		a.logger().Info("pgbouncer default_pool_size restored: database has its own pool_size",
			"pgbouncer", admin.Addr(), "database", in.Database, "prior", in.Size, "size", before.DefaultPoolSize)
		return PoolSetResult{}, ownPoolSizeError(in.Database, after.PoolSize)
	}
	return res, nil
}

// dial resolves the DSN secret and opens an admin session bounded by the
// activity timeout. Connection failures are plain (retryable) errors.
func (a *Activities) dial(ctx context.Context, secret string) (*pgbouncer.Admin, func(), error) {
	if a.Secrets == nil {
		return nil, nil, temporal.NewNonRetryableApplicationError(
			"pgbouncer admin: no secret source is configured", ErrTypeSecretNotFound, nil)
	}
	dsn, err := a.Secrets.Secret(secret)
	if err != nil {
		// The error names the secret, never its value.
		return nil, nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("pgbouncer admin dsn: %v", err), ErrTypeSecretNotFound, nil)
	}
	ctx, cancelCtx := context.WithTimeout(ctx, a.timeout())
	admin, err := pgbouncer.Dial(ctx, dsn)
	if err != nil {
		cancelCtx()
		return nil, nil, err
	}
	return admin, func() {
		if err := admin.Close(ctx); err != nil {
			a.logger().Warn("pgbouncer admin close", "pgbouncer", admin.Addr(), "error", err)
		}
		cancelCtx()
	}, nil
}

// readState reads default_pool_size and database's row.
func readState(ctx context.Context, admin *pgbouncer.Admin, database string) (PoolState, error) {
	cfg, err := admin.Config(ctx)
	if err != nil {
		return PoolState{}, fmt.Errorf("pgbouncer pool read %s: %w", database, err)
	}
	raw, ok := cfg["default_pool_size"]
	if !ok {
		return PoolState{}, fmt.Errorf("pgbouncer pool read %s: show config has no default_pool_size", database)
	}
	def, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return PoolState{}, fmt.Errorf("pgbouncer pool read %s: default_pool_size %q: %w", database, raw, err)
	}
	dbs, err := admin.Databases(ctx)
	if err != nil {
		return PoolState{}, fmt.Errorf("pgbouncer pool read %s: %w", database, err)
	}
	for _, d := range dbs {
		if d.Name == database {
			size := int64(d.PoolSize)
			return PoolState{Database: database, DefaultPoolSize: def, PoolSize: size, OwnPoolSize: size != def}, nil
		}
	}
	return PoolState{}, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("pgbouncer pool read: database %q is not in pgbouncer %s's [databases]", database, admin.Addr()),
		ErrTypeDatabaseNotFound, nil)
}

// validateDatabase refuses names that are not plain identifiers. Names come
// from alert labels, so the rule is the runbook's, checked again before a
// connection is made.
func validateDatabase(name string) error {
	if !runbooks.ValidDatabaseName(name) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("pgbouncer: database name %q refused: must match %s", name, runbooks.DatabaseNamePattern),
			ErrTypeInvalidDatabase, nil)
	}
	return nil
}

// ownPoolSizeError explains why default_pool_size cannot help database.
func ownPoolSizeError(database string, size int64) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("pgbouncer pool set %s: the database has its own pool_size (%d) in [databases], so default_pool_size does not apply to it; changing it needs an edit of pgbouncer.ini and a RELOAD", database, size),
		ErrTypeOwnPoolSize, nil)
}
