package runbooks

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxAmount bounds amounts to what float64 holds exactly as an integer.
const maxAmount = 1 << 53

// Amount is a target size as written in a runbook: absolute ("40") or
// relative to the current size ("+10", "+50%", "-5", "-20%"). Relative
// amounts are resolved once, from the state read before acting, so that a
// retried or replayed action sets the same absolute value instead of adding
// again.
type Amount struct {
	Op      byte    // '=' absolute, '+' grow, '-' shrink
	Value   float64 // the size, the delta, or the percentage
	Percent bool    // Value is a percentage of the current size (relative only)
}

// ParseAmount parses an amount. Absolute amounts and relative deltas must be
// whole numbers; percentages may have a fraction ("+12.5%").
func ParseAmount(s string) (Amount, error) {
	in := strings.TrimSpace(s)
	a := Amount{Op: '='}
	if in != "" && (in[0] == '+' || in[0] == '-') {
		a.Op, in = in[0], in[1:]
	}
	if rest, ok := strings.CutSuffix(in, "%"); ok {
		if a.Op == '=' {
			return Amount{}, fmt.Errorf("parse amount %q: a percentage must be relative, like \"+50%%\"", s)
		}
		a.Percent, in = true, rest
	}
	if in == "" || strings.ContainsAny(in, "+- \t") {
		return Amount{}, fmt.Errorf("parse amount %q: want a number like \"40\", \"+10\", \"+50%%\", \"-5\" or \"-20%%\"", s)
	}
	v, err := strconv.ParseFloat(in, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Amount{}, fmt.Errorf("parse amount %q: want a number like \"40\", \"+10\", \"+50%%\", \"-5\" or \"-20%%\"", s)
	}
	if v > maxAmount {
		return Amount{}, fmt.Errorf("parse amount %q: too large", s)
	}
	if !a.Percent && v != math.Trunc(v) {
		return Amount{}, fmt.Errorf("parse amount %q: sizes are whole numbers; use a percentage for fractions", s)
	}
	a.Value = v
	return a, nil
}

// Relative reports whether the amount depends on the current size.
func (a Amount) Relative() bool { return a.Op == '+' || a.Op == '-' }

// Apply resolves the amount against the current size. Relative amounts round
// away from current (up when growing, down when shrinking) so that "+10%" of
// a small pool still grows it; the result is then clamped to max and min and
// never goes below 0.
func (a Amount) Apply(current int64, min, max *int64) int64 {
	cur := float64(current)
	var target float64
	switch a.Op {
	case '+':
		target = math.Ceil(roundNano(cur + a.delta(cur)))
	case '-':
		target = math.Floor(roundNano(cur - a.delta(cur)))
	default:
		target = a.Value
	}
	var n int64
	switch {
	case target >= math.MaxInt64:
		n = math.MaxInt64
	case target <= 0:
		n = 0
	default:
		n = int64(target)
	}
	if max != nil && n > *max {
		n = *max
	}
	if min != nil && n < *min {
		n = *min
	}
	if n < 0 {
		n = 0
	}
	return n
}

func (a Amount) delta(cur float64) float64 {
	if a.Percent {
		return cur * a.Value / 100
	}
	return a.Value
}

// roundNano drops float noise below 1e-9 before rounding to an integer, so
// that 10 × 110% is 11 and not 11.000000000000002 rounded up to 12.
func roundNano(f float64) float64 {
	return math.Round(f*1e9) / 1e9
}

// String formats the amount as a runbook would write it.
func (a Amount) String() string {
	var b strings.Builder
	if a.Op == '+' || a.Op == '-' {
		b.WriteByte(a.Op)
	}
	b.WriteString(strconv.FormatFloat(a.Value, 'f', -1, 64))
	if a.Percent {
		b.WriteByte('%')
	}
	return b.String()
}
