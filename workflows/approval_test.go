package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

// decide sends a decide update at the given virtual time and records
// whether the workflow accepted it.
type decision struct {
	at      time.Duration
	req     DecisionRequest
	wantErr string // "" = accepted
}

func TestApprovals(t *testing.T) {
	alice := DecisionRequest{Decision: "approve", Via: ViaSlack, UserID: "U0ALICE"}
	bob := DecisionRequest{Decision: "approve", Via: ViaSlack, UserID: "U0BOB"}
	carol := DecisionRequest{Decision: "approve", Via: ViaSlack, UserID: "U0CAROL", Group: "S0ONCALL"}
	mallory := DecisionRequest{Decision: "approve", Via: ViaSlack, UserID: "U0MALLORY"}
	forgedGroup := DecisionRequest{Decision: "approve", Via: ViaSlack, UserID: "U0MALLORY", Group: "S0OTHER"}
	operator := DecisionRequest{Decision: "approve", Via: ViaAPI, Operator: "alice"}
	deny := DecisionRequest{Decision: "deny", Via: ViaSlack, UserID: "U0BOB"}

	tests := []struct {
		name       string
		runbook    string
		decisions  []decision
		outcome    string
		reasonHas  string
		sets       int
		approval   string
		decisionsN int
	}{
		{
			name:    "quorum of two allowlisted users acts",
			runbook: "pool-approval.hcl",
			decisions: []decision{
				{at: time.Minute, req: alice},
				{at: 2 * time.Minute, req: carol}, // via the allowlisted user group
			},
			outcome: incident.OutcomeResolved, sets: 1, approval: incident.ApprovalApproved, decisionsN: 2,
		},
		{
			name:    "one approval is not a quorum: expiry escalates",
			runbook: "pool-approval.hcl",
			decisions: []decision{
				{at: time.Minute, req: alice},
				{at: 2 * time.Minute, req: alice, wantErr: "already answered"},
				{at: 20 * time.Minute, req: bob, wantErr: "no approval is pending"},
			},
			outcome: incident.OutcomeEscalated, reasonHas: "expired", approval: incident.ApprovalExpired, decisionsN: 1,
		},
		{
			name:    "strangers are refused and leave the approval waiting",
			runbook: "pool-approval.hcl",
			decisions: []decision{
				{at: time.Minute, req: mallory, wantErr: "not an approver"},
				{at: 2 * time.Minute, req: forgedGroup, wantErr: "not an approver"},
				{at: 3 * time.Minute, req: DecisionRequest{Decision: "approve", Via: ViaAPI}, wantErr: "not an approver"},
				{at: 4 * time.Minute, req: DecisionRequest{Decision: "maybe", Via: ViaSlack, UserID: "U0ALICE"}, wantErr: "want approve or deny"},
				{at: 5 * time.Minute, req: DecisionRequest{ApprovalID: "other-1", Decision: "approve", Via: ViaSlack, UserID: "U0ALICE"}, wantErr: "not the pending one"},
			},
			outcome: incident.OutcomeEscalated, reasonHas: "expired", approval: incident.ApprovalExpired,
		},
		{
			name:    "a deny escalates without acting",
			runbook: "pool-approval.hcl",
			decisions: []decision{
				{at: time.Minute, req: alice},
				{at: 2 * time.Minute, req: deny},
				{at: 3 * time.Minute, req: carol, wantErr: "no approval is pending"},
			},
			outcome: incident.OutcomeEscalated, reasonHas: "denied by U0BOB", approval: incident.ApprovalDenied, decisionsN: 2,
		},
		{
			name:      "an operator approves through the API",
			runbook:   "pool-approval-proceed.hcl",
			decisions: []decision{{at: time.Minute, req: operator}},
			outcome:   incident.OutcomeResolved, sets: 1, approval: incident.ApprovalApproved, decisionsN: 1,
		},
		{
			name:    "on_expiry proceed acts after the deadline",
			runbook: "pool-approval-proceed.hcl",
			outcome: incident.OutcomeResolved, sets: 1, approval: incident.ApprovalExpired,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, d := range tt.decisions {
				e.RegisterDelayedCallback(func() {
					e.UpdateWorkflow(UpdateDecide, "", &testsuite.TestUpdateCallback{
						OnAccept: func() {
							if d.wantErr != "" {
								t.Errorf("decision %+v accepted, want refusal %q", d.req, d.wantErr)
							}
						},
						OnReject: func(err error) {
							if d.wantErr == "" || !strings.Contains(err.Error(), d.wantErr) {
								t.Errorf("decision %+v refused with %v, want %q", d.req, err, d.wantErr)
							}
						},
						OnComplete: func(interface{}, error) {},
					}, d.req)
				}, d.at)
			}
			st := e.run(t, Input{IncidentID: "pool/approval", Runbook: pinned(t, tt.runbook), Alert: firing()})
			if st.Outcome != tt.outcome || !strings.Contains(st.Reason, tt.reasonHas) {
				t.Fatalf("outcome %s (%s), want %s containing %q", st.Outcome, st.Reason, tt.outcome, tt.reasonHas)
			}
			if len(e.sets) != tt.sets {
				t.Fatalf("pool set %d times, want %d", len(e.sets), tt.sets)
			}
			if st.Approval == nil || st.Approval.Status != tt.approval || len(st.Approval.Decisions) != tt.decisionsN {
				t.Fatalf("approval record %+v, want status %s with %d decisions", st.Approval, tt.approval, tt.decisionsN)
			}
		})
	}
}
