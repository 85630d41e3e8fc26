package pgbouncer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/testutil"
)

func TestAdminAgainstPgBouncer(t *testing.T) {
	pg := testutil.StartPostgres(t)
	b := testutil.StartPgBouncer(t, pg, testutil.PgBouncerOptions{Database: "orders", PoolSize: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a, err := Dial(ctx, b.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	if a.Addr() != b.Addr {
		t.Errorf("Addr() = %s, want %s", a.Addr(), b.Addr)
	}

	findDB := func(t *testing.T) Database {
		t.Helper()
		dbs, err := a.Databases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dbs {
			if d.Name == "orders" {
				return d
			}
		}
		t.Fatalf("orders not in SHOW DATABASES: %+v", dbs)
		return Database{}
	}

	tests := []struct {
		name string
		set  int // 0: only read
		want int
	}{
		{name: "initial", want: 5},
		{name: "grow", set: 40, want: 40},
		{name: "shrink", set: 3, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set > 0 {
				if err := a.SetDefaultPoolSize(ctx, tt.set); err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := a.Config(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg["default_pool_size"]; got != fmt.Sprint(tt.want) {
				t.Errorf("default_pool_size = %q, want %d", got, tt.want)
			}
			if cfg["pool_mode"] != "transaction" {
				t.Errorf("pool_mode = %q, want transaction", cfg["pool_mode"])
			}
			d := findDB(t)
			if d.PoolSize != tt.want || d.Database != "orders" || d.Host != "127.0.0.1" || d.Port != pg.Port {
				t.Errorf("orders row = %+v, want pool_size %d to 127.0.0.1:%d/orders", d, tt.want, pg.Port)
			}
		})
	}

	t.Run("non-positive size refused", func(t *testing.T) {
		if err := a.SetDefaultPoolSize(ctx, 0); err == nil {
			t.Fatal("size 0 accepted")
		}
	})
}

func TestDialErrorsHideSecrets(t *testing.T) {
	pg := testutil.StartPostgres(t)
	b := testutil.StartPgBouncer(t, pg, testutil.PgBouncerOptions{})
	wrongPassword := "wrong-" + b.AdminPassword
	badAuth, err := url.Parse(b.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	badAuth.User = url.UserPassword(b.AdminUser, wrongPassword)
	dead := fmt.Sprintf("postgres://fbadmin:s3cret-dead@127.0.0.1:%d/pgbouncer?sslmode=disable", testutil.FreePort(t))

	tests := []struct {
		name    string
		dsn     string
		secrets []string
		want    string
	}{
		{name: "wrong password", dsn: badAuth.String(), secrets: []string{wrongPassword, b.AdminPassword}, want: b.Addr},
		{name: "nothing listening", dsn: dead, secrets: []string{"s3cret-dead"}, want: "127.0.0.1:"},
		{name: "unparsable", dsn: "postgres://fbadmin:s3cret-parse@127.0.0.1:notaport/pgbouncer", secrets: []string{"s3cret-parse"}, want: "parse dsn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			a, err := Dial(ctx, tt.dsn)
			if err == nil {
				a.Close(ctx)
				t.Fatal("want an error")
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if strings.Contains(msg, tt.dsn) {
				t.Errorf("error %q contains the DSN", msg)
			}
			for _, s := range tt.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error %q contains a password", msg)
				}
			}
		})
	}
}

func TestRedactedKeepsChain(t *testing.T) {
	base := errors.New("auth failed for pw123")
	err := fmt.Errorf("op: %w", redacted(base, "pw123"))
	if !errors.Is(err, base) {
		t.Fatal("chain lost")
	}
	if strings.Contains(err.Error(), "pw123") {
		t.Fatalf("message %q shows the secret", err)
	}
}
