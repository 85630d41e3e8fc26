package intake

import "testing"

// TestFingerprint pins the fingerprint intake derives when a sender omits
// Alertmanager's. The expectations are the values the implementation
// produced before it was last touched: incident IDs of running incidents
// are built from them, so any change here splits a live incident in two.
func TestFingerprint(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		want   string
	}{
		{"empty", map[string]string{}, "e3b0c44298fc1c14"},
		{"one label", map[string]string{"alertname": "CheckoutErrors"}, "434235b5daeadad5"},
		{"many labels", map[string]string{
			"alertname": "CheckoutErrors", "service": "checkout", "severity": "page",
			"namespace": "shop", "instance": "10.0.0.7:9090", "job": "checkout",
		}, "902d997eee149ee0"},
		{"unicode values", map[string]string{"alertname": "Ünïcødé", "team": "платёжи", "emoji": "🔥", "cjk": "決済"}, "82e37945169f9777"},
		{"empty values", map[string]string{"a": "", "b": ""}, "0ffc67878b872d1e"},
		{"names that sort by prefix", map[string]string{"a": "1", "a0": "2", "a_b": "3"}, "2bae1c05944801ff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fingerprint(tc.labels); got != tc.want {
				t.Errorf("fingerprint(%q) = %s, want %s", tc.labels, got, tc.want)
			}
		})
	}
}
