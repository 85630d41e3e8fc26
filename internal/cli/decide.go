package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/operator"
)

// decideCommand is `firebreak approve|deny ID` and `firebreak ack ID`:
// answers without Slack, through the receiver's operator API,
// authenticated by an operator token (firebreak.hcl's operator blocks, or
// firebreak dev's dev operator). The incident records the decision exactly
// as it records a Slack click.
func decideCommand(kind string) command {
	c := command{args: "INCIDENT_ID", minArgs: 1, maxArgs: 1}
	switch kind {
	case "ack":
		c.synopsis = "acknowledge an incident: delayed escalation steps are skipped (operator token)"
		c.description = "Acknowledge the incident INCIDENT_ID as the operator whose token is used: " +
			"escalation steps still waiting on their delay (a page after 10 minutes without an " +
			"acknowledgement) are skipped; the ones already sent stay sent. Acknowledging twice " +
			"keeps the first acknowledgement. Exit status: 0 done, 1 refused by the incident " +
			"(not open), 2 a usage error or a failed request (including a token the API refuses)."
	default:
		c.synopsis = kind + " the pending approval of an incident (operator token)"
		c.description = map[string]string{"approve": "Approve", "deny": "Deny"}[kind] + " the pending approval of the incident INCIDENT_ID " +
			"as the operator whose token is used, as a Slack click would, and say what the " +
			"incident does next. The token comes from -token-file, FIREBREAK_OPERATOR_TOKEN, or " +
			"the dev operator's file that firebreak dev writes under -state. Exit status: 0 " +
			"recorded, 1 refused by the incident (nothing pending, already answered, not open), 2 a " +
			"usage error or a failed request (including a token the API refuses)."
	}
	c.flags = func(fs *flag.FlagSet) action {
		op := addOperatorFlags(fs)
		var approvalID *string
		if kind != "ack" {
			approvalID = fs.String("approval", "", "the approval to answer (default: the pending one)")
		}
		asJSON := fs.Bool("json", false, "print the answer as JSON (snake_case keys) instead of a sentence")
		return func(ctx context.Context, args []string, stdio IO) int {
			token := op.token(kind, stdio)
			if token == "" {
				return ExitError
			}
			id := args[0]
			body := operator.DecisionBody{IncidentID: id}
			path := operator.PathAcks
			if kind != "ack" {
				body.Decision, body.ApprovalID, path = kind, *approvalID, operator.PathDecisions
			}
			// Only the incident's refusal (409) is a finding here; a token the
			// API refuses is an error, as it has always been for these commands.
			out, code := op.send(ctx, kind, stdio, http.MethodPost, path, token, body, http.StatusConflict)
			if code != ExitOK {
				return code
			}
			if kind == "ack" {
				var ack incident.Acknowledgement
				if err := json.Unmarshal(out, &ack); err != nil {
					fmt.Fprintf(stdio.Err, "firebreak %s: decode the answer: %v\n", kind, err)
					return ExitError
				}
				if *asJSON {
					return writeJSON(stdio.Out, ackAnswerOf(id, ack))
				}
				fmt.Fprintln(stdio.Out, ackSentence(id, ack))
				return ExitOK
			}
			var rec incident.ApprovalRecord
			if err := json.Unmarshal(out, &rec); err != nil {
				fmt.Fprintf(stdio.Err, "firebreak %s: decode the answer: %v\n", kind, err)
				return ExitError
			}
			if *asJSON {
				return writeJSON(stdio.Out, approvalAnswerOf(id, rec))
			}
			fmt.Fprintln(stdio.Out, decisionSentence(kind, id, rec))
			return ExitOK
		}
	}
	return c
}

// decisionSentence says in one sentence what a decision did.
func decisionSentence(kind, incidentID string, a incident.ApprovalRecord) string {
	verb := map[string]string{"approve": "approved", "deny": "denied"}[kind]
	head := fmt.Sprintf("%s approval %s of incident %s", verb, a.ID, incidentID)
	count := fmt.Sprintf("%d of %s", a.Approvals(), plural(a.MinApprovals, "approval", "approvals"))
	switch a.Status {
	case incident.ApprovalApproved:
		return fmt.Sprintf("%s (%s): remediation %q runs now", head, count, a.Remediation)
	case incident.ApprovalPending:
		return fmt.Sprintf("%s: %s so far; remediation %q waits for %d more until %s",
			head, count, a.Remediation, a.MinApprovals-a.Approvals(), a.ExpiresAt.UTC().Format(time.RFC3339))
	case incident.ApprovalDenied:
		return fmt.Sprintf("%s: remediation %q will not run and the incident escalates", head, a.Remediation)
	}
	return fmt.Sprintf("%s: the approval is %s (%s)", head, a.Status, count)
}

// ackSentence says in one sentence what an acknowledgement did.
func ackSentence(incidentID string, a incident.Acknowledgement) string {
	return fmt.Sprintf("acknowledged incident %s (by %s via %s at %s): delayed escalation steps are skipped",
		incidentID, a.By, a.Via, a.At.UTC().Format(time.RFC3339))
}

// approvalAnswer is what `approve -json` and `deny -json` print: the
// approval as the incident answered it. incident.ApprovalRecord itself has
// no JSON tags because it travels in Temporal payloads and recorded
// histories under its Go field names; this is the scripts' shape.
type approvalAnswer struct {
	IncidentID   string           `json:"incident_id"`
	ApprovalID   string           `json:"approval_id"`
	Remediation  string           `json:"remediation"`
	Status       string           `json:"status"` // pending, approved, denied, expired, withdrawn
	Approvals    int              `json:"approvals"`
	MinApprovals int              `json:"min_approvals"`
	Approvers    []string         `json:"approvers"`
	OnExpiry     string           `json:"on_expiry"`
	RequestedAt  time.Time        `json:"requested_at"`
	ExpiresAt    time.Time        `json:"expires_at"`
	Decisions    []decisionAnswer `json:"decisions"`
}

// decisionAnswer is one decision in an approvalAnswer.
type decisionAnswer struct {
	Decision string    `json:"decision"`
	By       string    `json:"by"`
	Name     string    `json:"name,omitempty"`
	Via      string    `json:"via"`
	Group    string    `json:"group,omitempty"`
	At       time.Time `json:"at"`
}

func approvalAnswerOf(incidentID string, a incident.ApprovalRecord) approvalAnswer {
	out := approvalAnswer{
		IncidentID: incidentID, ApprovalID: a.ID, Remediation: a.Remediation, Status: a.Status,
		Approvals: a.Approvals(), MinApprovals: a.MinApprovals, Approvers: a.Approvers, OnExpiry: a.OnExpiry,
		RequestedAt: a.RequestedAt, ExpiresAt: a.ExpiresAt, Decisions: []decisionAnswer{},
	}
	if out.Approvers == nil {
		out.Approvers = []string{}
	}
	for _, d := range a.Decisions {
		out.Decisions = append(out.Decisions, decisionAnswer{Decision: d.Decision, By: d.By, Name: d.Name, Via: d.Via, Group: d.Group, At: d.At})
	}
	return out
}

// ackAnswer is what `ack -json` prints.
type ackAnswer struct {
	IncidentID string    `json:"incident_id"`
	By         string    `json:"by"`
	Via        string    `json:"via"`
	At         time.Time `json:"at"`
}

func ackAnswerOf(incidentID string, a incident.Acknowledgement) ackAnswer {
	return ackAnswer{IncidentID: incidentID, By: a.By, Via: a.Via, At: a.At}
}
