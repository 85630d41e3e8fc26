package incident

import "testing"

const devTourError = "prom query: no prometheus is configured (type: prometheus-not-configured, retryable: false) [prometheus-not-configured]"

func TestHumanError(t *testing.T) {
	tests := []struct {
		name, raw, msg, typ string
	}{
		{"decorated, with the workflow's suffix", devTourError, "prom query: no prometheus is configured", "prometheus-not-configured"},
		{"with a cause", "prometheus is not configured (type: prometheus-not-configured, retryable: false): no url [prometheus-not-configured]",
			"prometheus is not configured: no url", "prometheus-not-configured"},
		{"a Go error's generic type", `prom query: dial tcp: connection refused (type: *fmt.wrapError, retryable: true)`,
			"prom query: dial tcp: connection refused", ""},
		{"retryable, no suffix", "ledger busy (type: busy, retryable: true)", "ledger busy", "busy"},
		{"only the suffix", "scale failed [kube-forbidden]", "scale failed", "kube-forbidden"},
		{"plain", "connection refused", "connection refused", ""},
		{"brackets that are no type", "want [a b]", "want [a b]", ""},
		{"parentheses that are no decoration", "value (type: gauge) too high", "value (type: gauge) too high", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, typ := HumanError(tt.raw)
			if msg != tt.msg || typ != tt.typ {
				t.Errorf("HumanError(%q) = %q, %q; want %q, %q", tt.raw, msg, typ, tt.msg, tt.typ)
			}
		})
	}
}

func TestFormatError(t *testing.T) {
	if got, want := FormatError(devTourError), "prom query: no prometheus is configured (prometheus-not-configured)"; got != want {
		t.Errorf("FormatError = %q, want %q", got, want)
	}
	if got := FormatError("plain"); got != "plain" {
		t.Errorf("FormatError(plain) = %q", got)
	}
}

func TestHumanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`diagnosis "error_ratio" failed: ` + devTourError,
			`diagnosis "error_ratio" failed: prom query: no prometheus is configured (prometheus-not-configured)`},
		{"verification failed: x (query failed: down (type: *fmt.wrapError, retryable: true)); rolled back grow",
			"verification failed: x (query failed: down); rolled back grow"},
		{"a: one (type: t1, retryable: false) [t1]; b: two (type: t2, retryable: true): cause [t2]",
			"a: one (t1); b: two: cause (t2)"},
		{"no suffix (type: t, retryable: false) then text", "no suffix (t) then text"},
		{"nothing to do", "nothing to do"},
	}
	for _, tt := range tests {
		if got := HumanText(tt.in); got != tt.want {
			t.Errorf("HumanText(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestOneLineAndShorten(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"one line", 20, "one line"},
		{"  two\nlines\t and  tabs ", 40, "two lines and tabs"},
		{"exactly ten", 11, "exactly ten"},
		{"a little too long", 10, "a little…"},
		{"ünïcödé characters", 6, "ünïcö…"},
		{"x", 0, ""},
	}
	for _, tt := range tests {
		if got := Shorten(OneLine(tt.in), tt.n); got != tt.want {
			t.Errorf("Shorten(OneLine(%q), %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
