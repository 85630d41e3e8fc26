package incident

import (
	"maps"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestListViewOf(t *testing.T) {
	st := State{
		Runbook: "checkout-errors", Phase: PhaseAwaitingResolution, Outcome: OutcomeEscalated,
		Reason: `diagnosis "error_ratio" failed: ` + devTourError,
		Storm:  "storm/20261123T0300",
		Alert:  Alert{Labels: map[string]string{"service": "checkout\nwith a newline", "alertname": "HighErrorRate"}},
	}
	v := ListViewOf(st)
	want := ListView{
		Runbook: "checkout-errors", Service: "checkout with a newline", Phase: PhaseAwaitingResolution, Outcome: OutcomeEscalated,
		Reason:      `diagnosis "error_ratio" failed: prom query: no prometheus is configured (prometheus-not-configured)`,
		GroupedInto: "storm/20261123T0300",
	}
	if v != want {
		t.Errorf("ListViewOf =\n %+v\nwant\n %+v", v, want)
	}

	st.Reason = strings.Repeat("a long reason ", 40) + "\nsecond line"
	st.Alert.Labels["service"] = strings.Repeat("s", 300)
	v = ListViewOf(st)
	for _, s := range []string{v.Reason, v.Service} {
		if utf8.RuneCountInString(s) > MemoReasonMax || strings.ContainsAny(s, "\n\t") || !strings.HasSuffix(s, "…") {
			t.Errorf("%q: want one line of at most %d characters, cut with …", s, MemoReasonMax)
		}
	}
}

func TestListViewMemoWritesOnlyChanges(t *testing.T) {
	start := ListView{Runbook: "pool", Service: "demo", Phase: PhaseDiagnosing}
	tests := []struct {
		name       string
		prev, next ListView
		want       map[string]any
	}{
		{"first write leaves out what is empty", ListView{}, start,
			map[string]any{MemoRunbook: "pool", MemoService: "demo", MemoPhase: PhaseDiagnosing}},
		{"nothing changed", start, start, nil},
		{"phase", start, ListView{Runbook: "pool", Service: "demo", Phase: PhaseVerifying},
			map[string]any{MemoPhase: PhaseVerifying}},
		{"outcome with its reason and phase", start,
			ListView{Runbook: "pool", Service: "demo", Phase: PhaseAwaitingResolution, Outcome: OutcomeGrouped, Reason: "r", GroupedInto: "s"},
			map[string]any{MemoPhase: PhaseAwaitingResolution, MemoOutcome: OutcomeGrouped, MemoReason: "r", MemoGroupedInto: "s"}},
		{"a value that empties is written empty", ListView{Reason: "r"}, ListView{}, map[string]any{MemoReason: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.next.Memo(tt.prev)
			if !maps.Equal(got, tt.want) || (tt.want == nil) != (got == nil) {
				t.Errorf("Memo = %v, want %v", got, tt.want)
			}
		})
	}
}
