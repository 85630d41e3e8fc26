package remediate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/firebreak-dev/firebreak/integrations/pgbouncer"
	"github.com/firebreak-dev/firebreak/internal/secrets"
	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// The engine wires internal/secrets into Activities.Secrets.
var _ SecretSource = secrets.Source{}

// mapSecrets is a SecretSource over a map that records every lookup, so a
// test can prove an input was refused before any secret (and so any
// connection) was touched.
type mapSecrets struct {
	mu      sync.Mutex
	values  map[string]string
	lookups []string
}

func (m *mapSecrets) Secret(name string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups = append(m.lookups, name)
	if v, ok := m.values[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("secret %q not found", name)
}

func (m *mapSecrets) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.lookups)
}

// exec runs one activity in Temporal's activity test environment, so inputs,
// results and errors pass through the real converters.
func exec[T any](t *testing.T, a *Activities, fn any, in any) (T, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	var out T
	val, err := env.ExecuteActivity(fn, in)
	if err != nil {
		return out, err
	}
	if err := val.Get(&out); err != nil {
		t.Fatalf("decode result: %v", err)
	}
	return out, nil
}

// wantAppError checks err is an application error of type typ (retryable
// when typ is empty).
func wantAppError(t *testing.T, err error, typ string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("error %v (%T) is not an application error", err, err)
	}
	if typ == "" {
		if appErr.NonRetryable() {
			t.Fatalf("error %v is non-retryable, want retryable", err)
		}
		return
	}
	if appErr.Type() != typ || !appErr.NonRetryable() {
		t.Fatalf("error %v: type %q non-retryable=%v, want non-retryable %q", err, appErr.Type(), appErr.NonRetryable(), typ)
	}
}

// showDefaultPoolSize reads default_pool_size straight from SHOW CONFIG.
func showDefaultPoolSize(t *testing.T, dsn string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgbouncer.Dial(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	cfg, err := admin.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(cfg["default_pool_size"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPoolReadAndSet(t *testing.T) {
	pg := testutil.StartPostgres(t)
	b := testutil.StartPgBouncer(t, pg, testutil.PgBouncerOptions{Database: "orders", PoolSize: 5})
	secrets := &mapSecrets{values: map[string]string{"pgb_admin": b.AdminDSN()}}
	var logs bytes.Buffer
	a := &Activities{Secrets: secrets, Log: slog.New(slog.NewTextHandler(&logs, nil)), Timeout: 10 * time.Second}

	state, err := exec[PoolState](t, a, a.PgBouncerPoolRead, PoolReadInput{AdminDSNSecret: "pgb_admin", Database: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (PoolState{Database: "orders", DefaultPoolSize: 5, PoolSize: 5}); state != want {
		t.Fatalf("read = %+v, want %+v", state, want)
	}

	steps := []struct {
		name string
		size int64
		want PoolSetResult
	}{
		{name: "grow", size: 20, want: PoolSetResult{Database: "orders", Prior: 5, Size: 20, Changed: true}},
		{name: "same again is a no-op", size: 20, want: PoolSetResult{Database: "orders", Prior: 20, Size: 20}},
		{name: "shrink", size: 8, want: PoolSetResult{Database: "orders", Prior: 20, Size: 8, Changed: true}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := exec[PoolSetResult](t, a, a.PgBouncerPoolSet, PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "orders", Size: st.size})
			if err != nil {
				t.Fatal(err)
			}
			if got != st.want {
				t.Fatalf("set = %+v, want %+v", got, st.want)
			}
			if n := showDefaultPoolSize(t, b.AdminDSN()); n != st.size {
				t.Fatalf("SHOW CONFIG default_pool_size = %d, want %d", n, st.size)
			}
		})
	}

	t.Run("log records mutations without the dsn", func(t *testing.T) {
		out := logs.String()
		for _, want := range []string{"prior=5 size=20", "prior=20 size=8", "already at target"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, b.AdminPassword) || strings.Contains(out, "postgres://") {
			t.Errorf("log leaks the dsn:\n%s", out)
		}
	})

	refusals := []struct {
		name     string
		set      bool
		in       PoolSetInput
		wantType string
		lookups  int // secret lookups the refusal may make
	}{
		{name: "injection", in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "orders; SHUTDOWN", Size: 10}, wantType: ErrTypeInvalidDatabase},
		{name: "quote", in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: `orders"`, Size: 10}, wantType: ErrTypeInvalidDatabase},
		{name: "traversal", in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "../orders", Size: 10}, wantType: ErrTypeInvalidDatabase},
		{name: "empty", in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "", Size: 10}, wantType: ErrTypeInvalidDatabase},
		{name: "too long", in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: strings.Repeat("a", 64), Size: 10}, wantType: ErrTypeInvalidDatabase},
		{name: "set injection", set: true, in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "x y", Size: 10}, wantType: ErrTypeInvalidDatabase},
		{name: "size zero", set: true, in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "orders", Size: 0}, wantType: ErrTypeInvalidPoolSize},
		{name: "size too big", set: true, in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "orders", Size: 10001}, wantType: ErrTypeInvalidPoolSize},
		{name: "secret missing", set: true, in: PoolSetInput{AdminDSNSecret: "nope", Database: "orders", Size: 10}, wantType: ErrTypeSecretNotFound, lookups: 1},
		{name: "unknown database", set: true, in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "inventory", Size: 10}, wantType: ErrTypeDatabaseNotFound, lookups: 1},
		{name: "unknown database read", in: PoolSetInput{AdminDSNSecret: "pgb_admin", Database: "inventory"}, wantType: ErrTypeDatabaseNotFound, lookups: 1},
	}
	for _, rf := range refusals {
		t.Run(rf.name, func(t *testing.T) {
			before := secrets.count()
			var err error
			if rf.set {
				_, err = exec[PoolSetResult](t, a, a.PgBouncerPoolSet, rf.in)
			} else {
				_, err = exec[PoolState](t, a, a.PgBouncerPoolRead, PoolReadInput{AdminDSNSecret: rf.in.AdminDSNSecret, Database: rf.in.Database})
			}
			wantAppError(t, err, rf.wantType)
			if n := secrets.count() - before; n != rf.lookups {
				t.Fatalf("%d secret lookups, want %d (refused before connecting)", n, rf.lookups)
			}
		})
	}
	if n := showDefaultPoolSize(t, b.AdminDSN()); n != 8 {
		t.Fatalf("refusals changed default_pool_size to %d", n)
	}

	t.Run("pgbouncer down is retryable", func(t *testing.T) {
		dead := &Activities{Secrets: &mapSecrets{values: map[string]string{
			"pgb_admin": fmt.Sprintf("postgres://fbadmin:pw@127.0.0.1:%d/pgbouncer?sslmode=disable", testutil.FreePort(t)),
		}}}
		_, err := exec[PoolState](t, dead, dead.PgBouncerPoolRead, PoolReadInput{AdminDSNSecret: "pgb_admin", Database: "orders"})
		wantAppError(t, err, "")
		if strings.Contains(err.Error(), ":pw@") {
			t.Fatalf("error %v leaks the dsn", err)
		}
	})
}

func TestPoolSetRefusesOwnPoolSize(t *testing.T) {
	pg := testutil.StartPostgres(t)
	tests := []struct {
		name      string
		opts      testutil.PgBouncerOptions
		wantState PoolState
	}{
		{
			name:      "own pool_size differs from default",
			opts:      testutil.PgBouncerOptions{Database: "differs", PoolSize: 5, DatabasePoolSize: 3},
			wantState: PoolState{Database: "differs", DefaultPoolSize: 5, PoolSize: 3, OwnPoolSize: true},
		},
		{
			// Indistinguishable on read; the set detects it and restores
			// the prior default.
			name:      "own pool_size equals default",
			opts:      testutil.PgBouncerOptions{Database: "equal", PoolSize: 5, DatabasePoolSize: 5},
			wantState: PoolState{Database: "equal", DefaultPoolSize: 5, PoolSize: 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testutil.StartPgBouncer(t, pg, tt.opts)
			a := &Activities{Secrets: &mapSecrets{values: map[string]string{"pgb_admin": b.AdminDSN()}}}
			state, err := exec[PoolState](t, a, a.PgBouncerPoolRead, PoolReadInput{AdminDSNSecret: "pgb_admin", Database: tt.opts.Database})
			if err != nil {
				t.Fatal(err)
			}
			if state != tt.wantState {
				t.Fatalf("read = %+v, want %+v", state, tt.wantState)
			}
			_, err = exec[PoolSetResult](t, a, a.PgBouncerPoolSet, PoolSetInput{AdminDSNSecret: "pgb_admin", Database: tt.opts.Database, Size: 20})
			wantAppError(t, err, ErrTypeOwnPoolSize)
			if !strings.Contains(err.Error(), "RELOAD") {
				t.Errorf("error %v does not explain the ini edit and RELOAD", err)
			}
			if n := showDefaultPoolSize(t, b.AdminDSN()); n != int64(tt.opts.PoolSize) {
				t.Fatalf("default_pool_size = %d after refusal, want %d", n, tt.opts.PoolSize)
			}
		})
	}
}

// TestValidateDatabaseMessage pins the refusal users see; the rule itself
// is runbooks.ValidDatabaseName.
func TestValidateDatabaseMessage(t *testing.T) {
	err := validateDatabase("orders; SHUTDOWN")
	wantAppError(t, err, ErrTypeInvalidDatabase)
	want := `pgbouncer: database name "orders; SHUTDOWN" refused: must match ^[A-Za-z_][A-Za-z0-9_.-]{0,62}$`
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Message() != want {
		t.Fatalf("error = %v, want message %q", err, want)
	}
	if err := validateDatabase("orders_2.eu-west"); err != nil {
		t.Fatalf("plain name refused: %v", err)
	}
}
