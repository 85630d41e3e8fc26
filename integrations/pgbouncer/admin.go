// Package pgbouncer is a client for PgBouncer's admin console (the virtual
// `pgbouncer` database), which firebreak uses to read pool state and resize
// pools at run time. Errors name the server by host:port only: the DSN
// carries a password and must never reach logs or workflow history.
package pgbouncer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Admin is one connection to a PgBouncer admin console. It is not safe for
// concurrent use; callers dial one per operation.
type Admin struct {
	conn *pgx.Conn
	addr string // host:port, the only way errors name the server
}

// Database is one row of SHOW DATABASES. Column sets differ between
// PgBouncer versions, so columns are matched by name and a column the
// running version lacks leaves its field zero; Columns keeps every column.
type Database struct {
	Name               string            // the name clients connect to
	Host               string            // the server host it pools to
	Port               int               // the server port
	Database           string            // the database name on the server
	ForceUser          string            // the user forced for server connections, if any
	PoolSize           int               // the effective pool size (its own pool_size, else default_pool_size)
	ReservePool        int               // extra connections allowed under load
	PoolMode           string            // the database's pool_mode override, empty when it follows the default
	MaxConnections     int               // max_db_connections
	CurrentConnections int               // server connections open now
	Paused             bool              // PAUSE is in effect
	Disabled           bool              // DISABLE is in effect
	Columns            map[string]string // every column as text, for fields this struct lacks
}

// Dial connects to the admin console at dsn. It always uses the simple
// query protocol, because the console does not speak the extended one.
func Dial(ctx context.Context, dsn string) (*Admin, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// ParseConfigError's message quotes the connection string; keep
		// only the reason.
		if inner := errors.Unwrap(err); inner != nil {
			return nil, fmt.Errorf("pgbouncer admin: parse dsn: %w", redacted(inner, dsn))
		}
		return nil, errors.New("pgbouncer admin: parse dsn: invalid connection string")
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		// pgconn.ConnectError names the user and database; keep its cause
		// (a dial or server error) and scrub the secrets regardless.
		cause := err
		if inner := errors.Unwrap(err); inner != nil {
			cause = inner
		}
		return nil, fmt.Errorf("pgbouncer admin %s: connect: %w", addr, redacted(cause, dsn, cfg.Password))
	}
	return &Admin{conn: conn, addr: addr}, nil
}

// Addr returns the console's host:port, the safe way to name it in logs.
func (a *Admin) Addr() string { return a.addr }

// Close ends the admin session.
func (a *Admin) Close(ctx context.Context) error {
	if err := a.conn.Close(ctx); err != nil {
		return fmt.Errorf("pgbouncer admin %s: close: %w", a.addr, err)
	}
	return nil
}

// Config returns SHOW CONFIG as key → current value.
func (a *Admin) Config(ctx context.Context) (map[string]string, error) {
	rows, err := a.show(ctx, "SHOW CONFIG")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		key, ok := r["key"]
		if !ok {
			return nil, fmt.Errorf("pgbouncer admin %s: show config: no key column", a.addr)
		}
		out[key] = r["value"]
	}
	return out, nil
}

// Databases returns SHOW DATABASES, including the admin console's own
// `pgbouncer` entry.
func (a *Admin) Databases(ctx context.Context) ([]Database, error) {
	rows, err := a.show(ctx, "SHOW DATABASES")
	if err != nil {
		return nil, err
	}
	out := make([]Database, 0, len(rows))
	for _, r := range rows {
		d := Database{
			Name:      r["name"],
			Host:      r["host"],
			Database:  r["database"],
			ForceUser: r["force_user"],
			PoolMode:  r["pool_mode"],
			Columns:   r,
		}
		ints := []struct {
			col string
			dst *int
		}{
			{"port", &d.Port},
			{"pool_size", &d.PoolSize},
			{"reserve_pool", &d.ReservePool},
			{"max_connections", &d.MaxConnections},
			{"current_connections", &d.CurrentConnections},
		}
		for _, f := range ints {
			if v, ok := r[f.col]; ok && v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, fmt.Errorf("pgbouncer admin %s: show databases: %s of %s: %w", a.addr, f.col, d.Name, err)
				}
				*f.dst = n
			}
		}
		d.Paused = r["paused"] == "1"
		d.Disabled = r["disabled"] == "1"
		out = append(out, d)
	}
	return out, nil
}

// SetDefaultPoolSize sets default_pool_size at run time. It takes effect at
// once for every database without its own pool_size and lasts until the
// next RELOAD or restart, which restore the ini value.
func (a *Admin) SetDefaultPoolSize(ctx context.Context, n int) error {
	if n < 1 {
		return fmt.Errorf("pgbouncer admin %s: set default_pool_size: %d is not positive", a.addr, n)
	}
	if _, err := a.conn.Exec(ctx, "SET default_pool_size = "+strconv.Itoa(n)); err != nil {
		return fmt.Errorf("pgbouncer admin %s: set default_pool_size = %d: %w", a.addr, n, err)
	}
	return nil
}

// show runs an admin SHOW command and returns each row as column → text.
// The simple protocol returns every value as text, whatever its type.
func (a *Admin) show(ctx context.Context, cmd string) ([]map[string]string, error) {
	op := strings.ToLower(cmd)
	rows, err := a.conn.Query(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("pgbouncer admin %s: %s: %w", a.addr, op, err)
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	var out []map[string]string
	for rows.Next() {
		raw := rows.RawValues()
		row := make(map[string]string, len(fields))
		for i, f := range fields {
			if i < len(raw) && raw[i] != nil {
				row[f.Name] = string(raw[i])
			} else {
				row[f.Name] = ""
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgbouncer admin %s: %s: %w", a.addr, op, err)
	}
	return out, nil
}

// redactedError hides secrets in an error's message while keeping the
// error chain for errors.Is and errors.As.
type redactedError struct {
	err     error
	secrets []string
}

// redacted wraps err so its message never shows any of secrets.
func redacted(err error, secrets ...string) error {
	return &redactedError{err: err, secrets: secrets}
}

func (e *redactedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}

func (e *redactedError) Unwrap() error { return e.err }
