package testutil

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgbouncerReadyTimeout bounds PgBouncer's start-up (well under a second).
const pgbouncerReadyTimeout = 15 * time.Second

// pgbouncerNameRE restricts names written into pgbouncer.ini, so a test
// cannot produce a configuration that means something else.
var pgbouncerNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// PgBouncer is a running PgBouncer in front of a test's Postgres, with an
// admin user for its console.
type PgBouncer struct {
	Addr          string // host:port clients connect to
	Port          int    // the TCP port it listens on
	AdminUser     string // listed in admin_users: may run SET and RELOAD
	AdminPassword string // the admin user's password (random per server)
	Database      string // the pooled database, also the name on the server
	ConfigPath    string // pgbouncer.ini, for tests that edit it and RELOAD

	appUser, appPassword string // the PostgreSQL superuser, also in auth_file
}

// PgBouncerOptions shapes the pooler a test needs; zero values give a small
// transaction pool.
type PgBouncerOptions struct {
	Database      string // pooled database; created on the server if missing; default "app"
	PoolSize      int    // default_pool_size; default 5
	MaxClientConn int    // max_client_conn; default 100
	PoolMode      string // pool_mode; default "transaction"
	// DatabasePoolSize, when positive, gives the database its own pool_size
	// in [databases], so default_pool_size no longer applies to it — the
	// case remediation must refuse.
	DatabasePoolSize int
}

// StartPgBouncer starts PgBouncer in the foreground (as the postgres OS user
// when the tests run as root) pooling opts.Database on pg. Unless
// DatabasePoolSize is set, the database has no pool_size of its own and so
// follows default_pool_size, which the admin console can change at run time.
func StartPgBouncer(t testing.TB, pg *Postgres, opts PgBouncerOptions) *PgBouncer {
	t.Helper()
	bin := requireBinary(t, "PgBouncer", "pgbouncer", "/usr/sbin/pgbouncer")
	if opts.Database == "" {
		opts.Database = "app"
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = 5
	}
	if opts.MaxClientConn == 0 {
		opts.MaxClientConn = 100
	}
	if opts.PoolMode == "" {
		opts.PoolMode = "transaction"
	}
	if !pgbouncerNameRE.MatchString(opts.Database) {
		t.Fatalf("pgbouncer: database name %q is not a plain identifier", opts.Database)
	}
	if !pg.databaseExists(t, opts.Database) {
		pg.CreateDatabase(t, opts.Database)
	}

	acct := postgresAccount(t)
	dir := ownedTempDir(t, "firebreak-pgbouncer-", acct)
	b := &PgBouncer{
		Port:          FreePort(t),
		AdminUser:     "fbadmin",
		AdminPassword: randomSecret(t),
		Database:      opts.Database,
		ConfigPath:    filepath.Join(dir, "pgbouncer.ini"),
		appUser:       pg.User,
		appPassword:   pg.Password,
	}
	b.Addr = fmt.Sprintf("127.0.0.1:%d", b.Port)

	authFile := filepath.Join(dir, "userlist.txt")
	writeOwnedFile(t, authFile, fmt.Sprintf("%q %q\n%q %q\n", pg.User, pg.Password, b.AdminUser, b.AdminPassword), acct)

	dbLine := fmt.Sprintf("%s = host=%s port=%d dbname=%s user=%s password=%s",
		opts.Database, pg.Host, pg.Port, opts.Database, pg.User, pg.Password)
	if opts.DatabasePoolSize > 0 {
		dbLine += fmt.Sprintf(" pool_size=%d", opts.DatabasePoolSize)
	}
	ini := strings.Join([]string{
		"[databases]",
		dbLine,
		"",
		"[pgbouncer]",
		"listen_addr = 127.0.0.1",
		fmt.Sprintf("listen_port = %d", b.Port),
		"unix_socket_dir =",
		"auth_type = scram-sha-256",
		"auth_file = " + authFile,
		"admin_users = " + b.AdminUser,
		"pool_mode = " + opts.PoolMode,
		fmt.Sprintf("default_pool_size = %d", opts.PoolSize),
		fmt.Sprintf("max_client_conn = %d", opts.MaxClientConn),
		"ignore_startup_parameters = extra_float_digits",
		"",
	}, "\n")
	writeOwnedFile(t, b.ConfigPath, ini, acct)

	// SIGTERM is PgBouncer's immediate shutdown: the test is over, so
	// waiting for clients would only delay it.
	proc := startProcess(t, "pgbouncer", dir, acct.cred, syscall.SIGTERM, bin, b.ConfigPath)
	proc.waitReady(t, pgbouncerReadyTimeout, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, b.AdminDSN())
		if err != nil {
			return false, err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "SHOW VERSION")
		return err == nil, err
	})
	return b
}

// AdminDSN returns a URL for PgBouncer's admin console (the `pgbouncer`
// database) as the admin user. It selects pgx's simple protocol because the
// console does not support the extended query protocol.
func (b *PgBouncer) AdminDSN() string {
	return b.dsn(b.AdminUser, b.AdminPassword, "pgbouncer")
}

// AppDSN returns a URL for the pooled database through PgBouncer, as the
// PostgreSQL superuser. It selects the simple protocol because transaction
// pooling in PgBouncer 1.18 cannot track prepared statements.
func (b *PgBouncer) AppDSN() string {
	// The auth_file holds the superuser's password under its name; the
	// server connection uses the credentials in [databases].
	return b.dsn(b.appUser, b.appPassword, b.Database)
}

// dsn builds a PgBouncer URL for user on database db.
func (b *PgBouncer) dsn(user, password, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     b.Addr,
		Path:     "/" + db,
		RawQuery: "sslmode=disable&default_query_exec_mode=simple_protocol",
	}
	return u.String()
}
