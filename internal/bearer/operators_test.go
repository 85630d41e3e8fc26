package bearer

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestOperatorsAuthenticate(t *testing.T) {
	ops := NewOperators([]Operator{
		{Name: "alice", Token: "alice-token-0123456789"},
		{Name: "bob", Token: "bob-token-0123456789"},
		{Name: "carol", Token: "shared-token-0123456789"},
		{Name: "dave", Token: "shared-token-0123456789"},
	})
	for _, tc := range []struct {
		header, name string
		status       int
	}{
		{"Bearer alice-token-0123456789", "alice", 0},
		{"Bearer bob-token-0123456789", "bob", 0},
		{"Bearer shared-token-0123456789", "", http.StatusUnauthorized},
		{"Bearer nobody", "", http.StatusUnauthorized},
		{"", "", http.StatusUnauthorized},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/api/v1/pause", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		name, ref := ops.Authenticate(w, r)
		status := 0
		if ref != nil {
			status = ref.Status
		}
		if name != tc.name || status != tc.status {
			t.Errorf("%q: got %q, %d; want %q, %d", tc.header, name, status, tc.name, tc.status)
		}
		if challenged := w.Header().Get("WWW-Authenticate") != ""; challenged != (status == http.StatusUnauthorized) {
			t.Errorf("%q: WWW-Authenticate = %q", tc.header, w.Header().Get("WWW-Authenticate"))
		}
	}
	_, ref := NewOperators(nil).Authenticate(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if ref == nil || ref.Status != http.StatusForbidden || ref.Reason != "operator_api_disabled" {
		t.Errorf("no operators: %+v", ref)
	}
}
