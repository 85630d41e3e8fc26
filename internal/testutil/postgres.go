package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresReadyTimeout bounds initdb plus start-up; both take a few seconds
// on a busy 2-core machine.
const postgresReadyTimeout = 30 * time.Second

// Postgres is a running PostgreSQL server owned by one test. Its superuser
// authenticates with SCRAM over TCP on 127.0.0.1.
type Postgres struct {
	Host     string // always 127.0.0.1
	Port     int    // the TCP port it listens on
	User     string // the superuser initdb created
	Password string // the superuser's password (random per server)
	Dir      string // holds data/, the socket and postgres.log
}

// StartPostgres initialises a fresh cluster (SCRAM for TCP, password from a
// file, fsync off) and runs postgres in the foreground as the postgres OS
// user when the tests run as root. It is stopped with SIGINT (PostgreSQL's
// fast shutdown, which does not wait for clients) when the test ends.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	binDir := postgresBinDir(t)
	acct := postgresAccount(t)
	dir := ownedTempDir(t, "firebreak-pg-", acct)
	p := &Postgres{Host: "127.0.0.1", User: "firebreak", Password: randomSecret(t), Dir: dir}

	pwfile := filepath.Join(dir, "pwfile")
	writeOwnedFile(t, pwfile, p.Password+"\n", acct)
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(binDir, "initdb"),
		"-D", data, "-U", p.User, "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: acct.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := os.Remove(pwfile); err != nil {
		t.Fatalf("remove pwfile: %v", err)
	}

	p.Port = FreePort(t)
	proc := startProcess(t, "postgres", dir, acct.cred, syscall.SIGINT,
		filepath.Join(binDir, "postgres"),
		"-D", data,
		"-p", strconv.Itoa(p.Port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+dir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
	)
	proc.waitReady(t, postgresReadyTimeout, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, p.DSN("postgres"))
		if err != nil {
			return false, err
		}
		defer conn.Close(ctx)
		return conn.Ping(ctx) == nil, nil
	})
	return p
}

// DSN returns a URL for database db as the superuser over TCP, in the form
// pgx and lib/pq accept.
func (p *Postgres) DSN(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(p.User, p.Password),
		Host:     fmt.Sprintf("%s:%d", p.Host, p.Port),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDatabase creates database name, so each test can work in its own
// database on a shared server.
func (p *Postgres) CreateDatabase(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		t.Fatalf("create database %s: connect: %v", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
}

// databaseExists reports whether database name exists on p.
func (p *Postgres) databaseExists(t testing.TB, name string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		t.Fatalf("look up database %s: connect: %v", name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatalf("look up database %s: %v", name, err)
	}
	return exists
}

// postgresBinDir finds the PostgreSQL server binaries: Debian keeps them
// out of PATH in /usr/lib/postgresql/<major>/bin; 15 is preferred because
// that is what the project measured, else the newest installed major.
func postgresBinDir(t testing.TB) string {
	t.Helper()
	candidates := []string{"/usr/lib/postgresql/15/bin"}
	others, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(others, func(i, j int) bool { return majorOf(others[i]) > majorOf(others[j]) })
	candidates = append(candidates, others...)
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	bin := requireBinary(t, "PostgreSQL (initdb)", "/usr/lib/postgresql/15/bin/initdb")
	return filepath.Dir(bin)
}

// majorOf extracts the major version from /usr/lib/postgresql/<major>/bin.
func majorOf(binDir string) int {
	n, err := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	if err != nil {
		return -1
	}
	return n
}

// randomSecret returns a fresh random password, so no test relies on a
// well-known credential.
func randomSecret(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random secret: %v", err)
	}
	return hex.EncodeToString(b)
}
