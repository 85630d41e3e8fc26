package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"db_admin":   "file-value\n",
		"crlf":       "crlf-value\r\n",
		"two_lines":  "a\nb\n\n",
		"empty":      "",
		"shadow_env": "from-file",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "outside"), []byte("leaked"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FIREBREAK_SECRET_ENV_ONLY", "env-value")
	t.Setenv("FIREBREAK_SECRET_SHADOW_ENV", "from-env")
	t.Setenv("CUSTOM_ENV_ONLY", "custom-value")

	tests := []struct {
		name    string
		src     Source
		secret  string
		want    string
		wantErr error
	}{
		{name: "file trims one newline", src: Source{Dir: dir}, secret: "db_admin", want: "file-value"},
		{name: "file trims crlf", src: Source{Dir: dir}, secret: "crlf", want: "crlf-value"},
		{name: "file keeps inner newlines", src: Source{Dir: dir}, secret: "two_lines", want: "a\nb\n"},
		{name: "empty file is a value", src: Source{Dir: dir}, secret: "empty", want: ""},
		{name: "file wins over env", src: Source{Dir: dir}, secret: "shadow_env", want: "from-file"},
		{name: "env when file missing", src: Source{Dir: dir}, secret: "env_only", want: "env-value"},
		{name: "env without dir", src: Source{}, secret: "env_only", want: "env-value"},
		{name: "custom prefix", src: Source{EnvPrefix: "CUSTOM_"}, secret: "env_only", want: "custom-value"},
		{name: "not found", src: Source{Dir: dir}, secret: "missing", wantErr: ErrNotFound},
		{name: "traversal refused", src: Source{Dir: dir}, secret: "../outside", wantErr: ErrInvalidName},
		{name: "slash refused", src: Source{Dir: dir}, secret: "a/b", wantErr: ErrInvalidName},
		{name: "upper case refused", src: Source{Dir: dir}, secret: "DB_ADMIN", wantErr: ErrInvalidName},
		{name: "leading digit refused", src: Source{Dir: dir}, secret: "1db", wantErr: ErrInvalidName},
		{name: "empty refused", src: Source{Dir: dir}, secret: "", wantErr: ErrInvalidName},
		{name: "too long refused", src: Source{Dir: dir}, secret: "a" + strings.Repeat("b", 64), wantErr: ErrInvalidName},
		{name: "longest accepted", src: Source{}, secret: "a" + strings.Repeat("b", 63), wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.src.Secret(tt.secret)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Secret(%q) error = %v, want %v", tt.secret, err, tt.wantErr)
				}
				for _, v := range []string{"file-value", "env-value", "from-file", "from-env", "custom-value", "leaked"} {
					if strings.Contains(err.Error(), v) {
						t.Fatalf("error %q contains a secret value", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Secret(%q): %v", tt.secret, err)
			}
			if got != tt.want {
				t.Fatalf("Secret(%q) = %q, want %q", tt.secret, got, tt.want)
			}
		})
	}
}

func TestSecretNotFoundMessage(t *testing.T) {
	_, err := Source{Dir: t.TempDir()}.Secret("absent")
	if err == nil || err.Error() != `secret "absent" not found` {
		t.Fatalf("error = %v, want %q", err, `secret "absent" not found`)
	}
}
