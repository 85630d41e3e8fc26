package bearer

import "testing"

func TestFromHeader(t *testing.T) {
	want := Of("s3cret")
	for _, tc := range []struct {
		header string
		ok     bool
		match  bool
	}{
		{"Bearer s3cret", true, true},
		{"bearer   s3cret  ", true, true},
		{"Bearer wrong", true, false},
		{"Bearer ", false, false},
		{"Bearer", false, false},
		{"Basic czNjcmV0", false, false},
		{"", false, false},
	} {
		d, ok := FromHeader(tc.header)
		if ok != tc.ok || (ok && d.Equal(want) != tc.match) {
			t.Errorf("FromHeader(%q) = ok %t, match %t; want ok %t, match %t", tc.header, ok, d.Equal(want), tc.ok, tc.match)
		}
	}
}
