package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// Errors the decide update answers with; the receiver shows them to the
// person who clicked.
var (
	ErrNoPendingApproval = errors.New("no approval is pending: it was already decided, expired, or the incident is over")
	ErrNotApprover       = errors.New("not an approver of this remediation")
)

// registerHumanHandlers installs the update handlers people reach the
// incident through.
func (r *incidentRun) registerHumanHandlers(ctx workflow.Context) error {
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide,
		func(ctx workflow.Context, d DecisionRequest) (incident.ApprovalRecord, error) {
			a := r.st.Approval
			a.Decisions = append(a.Decisions, incident.Decision{
				Decision: d.Decision, By: decider(d), Name: d.UserName, Via: d.Via, Group: d.Group, At: workflow.Now(ctx),
			})
			switch {
			case d.Decision == "deny":
				a.Status = incident.ApprovalDenied
			case a.Approvals() >= a.MinApprovals:
				a.Status = incident.ApprovalApproved
			}
			r.event(ctx, "approval", fmt.Sprintf("%s %sd via %s (%d of %d approvals)", decider(d), d.Decision, d.Via, a.Approvals(), a.MinApprovals))
			return *a, nil
		},
		workflow.UpdateHandlerOptions{Validator: r.validateDecision},
	)
	if err != nil {
		return fmt.Errorf("register decide update: %w", err)
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, UpdateAcknowledge,
		func(ctx workflow.Context, ack AckRequest) (incident.Acknowledgement, error) {
			if r.st.Acknowledged == nil {
				r.st.Acknowledged = &incident.Acknowledgement{By: ack.By, Via: ack.Via, At: workflow.Now(ctx)}
				r.event(ctx, "ack", fmt.Sprintf("acknowledged by %s via %s", ack.By, ack.Via))
			}
			return *r.st.Acknowledged, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, ack AckRequest) error {
			if strings.TrimSpace(ack.By) == "" {
				return errors.New("an acknowledgement needs who acknowledged")
			}
			return nil
		}},
	)
	if err != nil {
		return fmt.Errorf("register acknowledge update: %w", err)
	}
	return nil
}

// validateDecision rejects a decision before it reaches history: no
// pending approval, another approval, someone not on the allowlist, or a
// second vote by the same person.
func (r *incidentRun) validateDecision(_ workflow.Context, d DecisionRequest) error {
	a := r.st.Approval
	if a == nil || a.Status != incident.ApprovalPending {
		return ErrNoPendingApproval
	}
	if d.ApprovalID != "" && d.ApprovalID != a.ID {
		return fmt.Errorf("approval %q is not the pending one (%q)", d.ApprovalID, a.ID)
	}
	if d.Decision != "approve" && d.Decision != "deny" {
		return fmt.Errorf("decision %q: want approve or deny", d.Decision)
	}
	switch d.Via {
	case ViaSlack:
		listed := d.UserID != "" && slices.Contains(a.Approvers, d.UserID)
		viaGroup := strings.HasPrefix(d.Group, "S") && slices.Contains(a.Approvers, d.Group)
		if !listed && !viaGroup {
			return fmt.Errorf("%w: Slack user %s", ErrNotApprover, d.UserID)
		}
	case ViaAPI:
		if d.Operator == "" {
			return fmt.Errorf("%w: no authenticated operator", ErrNotApprover)
		}
	default:
		return fmt.Errorf("decision via %q: want slack or api", d.Via)
	}
	for _, prev := range a.Decisions {
		if prev.By == decider(d) {
			return fmt.Errorf("%s already answered this approval (%s)", prev.By, prev.Decision)
		}
	}
	return nil
}

func decider(d DecisionRequest) string {
	if d.Via == ViaAPI {
		return "operator:" + d.Operator
	}
	return d.UserID
}

// awaitApproval asks for the remediation's approval and waits for it on a
// durable timer. It returns done=true with an outcome when the run must not
// go on to act.
func (r *incidentRun) awaitApproval(ctx workflow.Context, m *runbooks.Remediation) (outcome, bool) {
	ap := m.Approval
	now := workflow.Now(ctx)
	a := &incident.ApprovalRecord{
		ID: m.Name + "-1", Remediation: m.Name, Approvers: ap.Approvers, MinApprovals: ap.MinApprovals, OnExpiry: ap.OnExpiry,
		Channel: ap.SlackChannel, RequestedAt: now, ExpiresAt: now.Add(ap.Expires), Status: incident.ApprovalPending,
	}
	r.st.Approval = a
	r.st.Phase = incident.PhaseAwaitingApproval
	r.event(ctx, "approval", fmt.Sprintf("remediation %q waits for %d approval(s) from %s until %s",
		m.Name, ap.MinApprovals, strings.Join(ap.Approvers, ", "), a.ExpiresAt.UTC().Format(time.RFC3339)))
	if ap.SlackChannel != "" {
		// The buttons go in the incident's thread: let its header post first.
		r.drainNotifications(ctx)
		var msg incident.SlackMessage
		err := workflow.ExecuteActivity(chatOpts(ctx), esc.RequestApproval, escalate.ApprovalInput{
			Channel: ap.SlackChannel, Thread: r.st.Slack, Approval: *a,
			Header: escalate.HeaderOf(r.st, r.in.Settings.TimelineURL), Actions: escalate.ActionLines(r.st.Actions),
		}).Get(ctx, &msg)
		if err != nil {
			r.event(ctx, "approval", "approval buttons not posted to Slack ("+errorMessage(err)+"); `firebreak approve` still works")
		} else {
			a.Message = &msg
		}
	}
	decided, err := workflow.AwaitWithTimeout(ctx, ap.Expires, func() bool {
		return a.Status != incident.ApprovalPending || r.resolved
	})
	if err != nil {
		return outcome{incident.OutcomeEscalated, "waiting for approval was interrupted: " + err.Error()}, true
	}
	defer r.closeApproval(ctx, a)
	switch {
	case a.Status == incident.ApprovalApproved:
		r.st.Phase = incident.PhaseRemediating
		return outcome{}, false
	case a.Status == incident.ApprovalDenied:
		by := a.Decisions[len(a.Decisions)-1].By
		return outcome{incident.OutcomeEscalated, fmt.Sprintf("remediation %q denied by %s", m.Name, by)}, true
	case r.resolved:
		a.Status = incident.ApprovalWithdrawn
		return outcome{incident.OutcomeStopped, fmt.Sprintf("alert resolved while remediation %q waited for approval", m.Name)}, true
	case !decided:
		a.Status = incident.ApprovalExpired
		if ap.OnExpiry == runbooks.OnExpiryProceed {
			r.event(ctx, "approval", fmt.Sprintf("no answer within %s: proceeding, as the runbook's on_expiry says", ap.Expires))
			r.st.Phase = incident.PhaseRemediating
			return outcome{}, false
		}
		return outcome{incident.OutcomeEscalated, fmt.Sprintf("approval of remediation %q expired after %s with %d of %d approvals",
			m.Name, ap.Expires, a.Approvals(), a.MinApprovals)}, true
	}
	return outcome{incident.OutcomeEscalated, "approval ended in an unknown state " + a.Status}, true
}

// closeApproval replaces the Slack buttons with the outcome.
func (r *incidentRun) closeApproval(ctx workflow.Context, a *incident.ApprovalRecord) {
	if a.Message == nil {
		return
	}
	if err := workflow.ExecuteActivity(chatOpts(ctx), esc.CloseApproval, escalate.CloseApprovalInput{Approval: *a}).Get(ctx, nil); err != nil {
		r.timeline(ctx, "approval", "could not update the Slack approval message: "+errorMessage(err))
	}
}

// notifications: the incident's Slack thread. Posting runs in its own
// coroutine, in order, so a slow Slack never holds up the incident.

func (r *incidentRun) startNotifier(ctx workflow.Context) {
	if r.rb == nil || r.rb.SlackChannel == "" {
		return
	}
	r.notes = workflow.NewBufferedChannel(ctx, 256)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var text string
			r.notes.Receive(ctx, &text)
			// Nothing is posted before the control workflow said whether
			// the incident is part of a storm; in one, nothing is: the
			// storm's one message speaks for it.
			if r.asking {
				if err := workflow.Await(ctx, func() bool { return r.decided }); err != nil || !r.maySpeak {
					r.notesBusy--
					continue
				}
			}
			var msg incident.SlackMessage
			in := escalate.NotifyInput{Channel: r.rb.SlackChannel, Thread: r.st.Slack, Header: escalate.HeaderOf(r.st, r.in.Settings.TimelineURL), Text: text}
			err := workflow.ExecuteActivity(chatOpts(ctx), esc.Notify, in).Get(ctx, &msg)
			switch {
			case err == nil && r.st.Slack == nil:
				r.st.Slack = &msg
			case err != nil && !r.chatFailed:
				r.chatFailed = true
				r.timeline(ctx, "slack", "posting to the incident's Slack thread failed: "+errorMessage(err))
			}
			r.notesBusy--
		}
	})
}

func (r *incidentRun) notify(_ workflow.Context, text string) {
	if r.notes == nil {
		return
	}
	if r.notes.SendAsync(text) {
		r.notesBusy++
	}
}

// drainNotifications waits (boundedly) for queued thread posts before the
// workflow completes.
func (r *incidentRun) drainNotifications(ctx workflow.Context) {
	if r.notes == nil || r.notesBusy == 0 {
		return
	}
	_, _ = workflow.AwaitWithTimeout(ctx, time.Minute, func() bool { return r.notesBusy == 0 })
}
