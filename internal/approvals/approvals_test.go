package approvals

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/firebreak-dev/firebreak/integrations/slack"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/workflows"
)

// fakeTemporal answers updates with err (or result) and queries with state.
type fakeTemporal struct {
	err     error
	result  any
	state   incident.State
	updates []string
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.updates = append(f.updates, o.UpdateName+" "+o.WorkflowID)
	if f.err != nil {
		return nil, f.err
	}
	return handle{f.result}, nil
}

func (f *fakeTemporal) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	return value{f.state}, nil
}

type handle struct{ v any }

func (handle) WorkflowID() string { return "" }
func (handle) RunID() string      { return "" }
func (handle) UpdateID() string   { return "" }
func (h handle) Get(_ context.Context, ptr any) error {
	raw, err := json.Marshal(h.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, ptr)
}

type value struct{ v any }

func (value) HasValue() bool      { return true }
func (v value) Get(ptr any) error { return handle(v).Get(context.Background(), ptr) }

// TestUpdateErrors: Decide and Acknowledge tell refusals (which they
// return uncounted, with the label they are counted under) from failures.
func TestUpdateErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		ack     bool
		metric  string // "" for a failure, not a refusal
		message string // in the error
	}{
		{"decide, no incident", serviceerror.NewNotFound("gone"), false, "decision_no_incident", "incident pool/abc is not open"},
		{"decide, validator says no", temporal.NewApplicationError("no approval is pending", "Refused"), false, "decision_rejected", "no approval is pending"},
		{"decide, over", errors.New("workflow execution already completed"), false, "decision_rejected", "the incident is over"},
		{"decide, unreachable", errors.New("connection refused"), false, "", "decide on pool/abc: connection refused"},
		{"ack, no incident", serviceerror.NewNotFound("gone"), true, "ack_no_incident", "incident pool/abc is not open"},
		{"ack, validator says no", temporal.NewApplicationError("already acknowledged", "Refused"), true, "ack_rejected", "already acknowledged"},
		{"ack, unreachable", errors.New("connection refused"), true, "", "acknowledge pool/abc: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			s := New(&fakeTemporal{err: tt.err}, nil, slog.New(slog.DiscardHandler), m)
			var err error
			if tt.ack {
				_, err = s.Acknowledge(context.Background(), "pool/abc", workflows.AckRequest{By: "operator:alice", Via: workflows.ViaAPI})
			} else {
				_, err = s.Decide(context.Background(), "pool/abc", workflows.DecisionRequest{Decision: "approve", Via: workflows.ViaAPI, Operator: "alice"})
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.message)
			var refused *RefusedError
			if tt.metric == "" {
				assert.False(t, errors.As(err, &refused), "a failure reported as a refusal")
				return
			}
			require.ErrorAs(t, err, &refused)
			assert.Equal(t, tt.metric, refused.RefusalMetric())
			families, gerr := m.Registry.Gather()
			require.NoError(t, gerr)
			for _, f := range families {
				assert.NotEqual(t, "firebreak_refusals_total", f.GetName(), "Decide counted a refusal its caller will count")
			}
		})
	}
}

// TestSlackRefusals: the Slack path answers its refusals in the thread and
// counts each once.
func TestSlackRefusals(t *testing.T) {
	pending := incident.State{Approval: &incident.ApprovalRecord{ID: "a2", Status: incident.ApprovalPending, Approvers: []string{"U1"}}}
	tests := []struct {
		name   string
		tmp    *fakeTemporal
		in     slack.Interaction
		metric string
		text   string
	}{
		{"stale click", &fakeTemporal{state: pending}, slack.Interaction{IncidentID: "pool/abc", ApprovalID: "a1", UserID: "U1", Decision: "approve"},
			"decision_stale", "This approval is no longer pending."},
		{"not an approver", &fakeTemporal{state: pending}, slack.Interaction{IncidentID: "pool/abc", ApprovalID: "a2", UserID: "U9", Decision: "approve"},
			"decision_not_approver", "<@U9> is not an approver of this remediation"},
		{"nothing pending", &fakeTemporal{}, slack.Interaction{IncidentID: "pool/abc", ApprovalID: "a2", UserID: "U1", Decision: "approve"},
			"decision_not_pending", "This approval was already decided or has expired."},
		{"refused by the validator", &fakeTemporal{state: pending, err: temporal.NewApplicationError("already answered", "Refused")},
			slack.Interaction{IncidentID: "pool/abc", ApprovalID: "a2", UserID: "U1", Decision: "approve"}, "decision_rejected", "already answered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			reply, err := New(tt.tmp, nil, slog.New(slog.DiscardHandler), m).SlackDecider().Decide(context.Background(), tt.in)
			require.NoError(t, err)
			assert.Contains(t, reply.Text, tt.text)
			families, err := m.Registry.Gather()
			require.NoError(t, err)
			counted := map[string]float64{}
			for _, f := range families {
				if f.GetName() == "firebreak_refusals_total" {
					for _, s := range f.GetMetric() {
						counted[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
					}
				}
			}
			assert.Equal(t, map[string]float64{tt.metric: 1}, counted)
		})
	}
}
