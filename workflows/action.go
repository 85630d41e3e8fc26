package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/remediate"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// The action table: each action kind registers, in its own file, how the
// workflow plans an action of that kind for an alert and how it reads,
// applies and restores the target. The loop below is the same for every
// kind, so dry runs, the kill switch between read and apply, guardrail
// records and rollback behave alike whatever the kind. Adding a kind is
// its runbook schema (runbooks), its activities (remediate), one file here
// that registers it, and its docs.

// actionKind plans actions of one kind.
type actionKind interface {
	// plan evaluates the action's parameters for this alert; an error
	// refuses the action (a hostile label value, an unset amount).
	plan(a *runbooks.Action, s *runbooks.Scope) (actionStep, error)
}

// actionStep is one planned action. Its methods run in workflow code and
// reach the target only through activities.
type actionStep interface {
	// ledger is the guardrail ledger's key of the target.
	ledger() string
	// spec is the action's parameters in one line for the record ("" if
	// there is nothing to say beyond the kind).
	spec() string
	// read reads the target's state and decides the change once, from
	// it: it fills ar.Before, ar.After (and Prior/Planned where a number
	// says it), and returns the prior state to restore, or nil when the
	// action cannot be undone.
	read(ctx workflow.Context, ar *incident.ActionRecord) (priorState, error)
	// apply sets the decided state. It is absolute, so a retried or
	// replayed apply changes nothing twice; changed says whether the
	// target differed.
	apply(ctx workflow.Context) (changed bool, err error)
	// rollout is the workload whose rollout to wait for after a change,
	// and for how long (0: do not wait).
	rollout() (remediate.KubeTarget, time.Duration)
}

// priorState is a target's state as read before an action: restore puts
// it back (verify's rollback).
type priorState interface {
	restore(ctx workflow.Context) error
}

// actionKinds is the table, filled by each kind's file.
var actionKinds = map[string]actionKind{}

// registerAction adds a kind to the table; a kind registered twice is a
// programming error.
func registerAction(kind string, k actionKind) {
	if _, dup := actionKinds[kind]; dup {
		panic("workflows: action kind " + kind + " registered twice")
	}
	actionKinds[kind] = k
}

// actionPlan is one action with its parameters evaluated for this alert.
type actionPlan struct {
	action *runbooks.Action
	target string // the guardrail ledger's key
	step   actionStep
}

// appliedAction is what undoing an applied action needs: the state read
// before it.
type appliedAction struct {
	plan   actionPlan
	record int // index in State.Actions
	prior  priorState
}

func (r *incidentRun) plan(m *runbooks.Remediation) ([]actionPlan, error) {
	plans := make([]actionPlan, 0, len(m.Actions))
	for _, a := range m.Actions {
		k, ok := actionKinds[a.Kind]
		if !ok {
			return nil, fmt.Errorf("action %q: kind %q is not supported by this worker", a.Name, a.Kind)
		}
		step, err := k.plan(a, &r.scope)
		if err != nil {
			return nil, fmt.Errorf("action %q refused: %v", a.Name, err)
		}
		plans = append(plans, actionPlan{action: a, target: step.ledger(), step: step})
	}
	return plans, nil
}

// act runs the actions in order: read the target's state, resolve the plan
// once from it, then set it (or, in a dry run, only record the plan). It
// returns done=true with an outcome when the run must end here: the alert
// resolved, automation was paused, or an action failed.
func (r *incidentRun) act(ctx workflow.Context, plans []actionPlan) (outcome, bool) {
	for _, p := range plans {
		if r.resolved {
			return outcome{incident.OutcomeStopped, fmt.Sprintf("alert resolved before action %q", p.action.Name)}, true
		}
		if why := r.halted(ctx); why != "" && !r.dryRun {
			return outcome{incident.OutcomeEscalated, fmt.Sprintf("stopped before action %q: %s", p.action.Name, why)}, true
		}
		if out, done := r.actOne(ctx, p); done {
			return out, true
		}
	}
	return outcome{}, false
}

// actOne reads, decides and (unless this is a dry run) applies one action,
// then waits for its rollout when the action asks to.
func (r *incidentRun) actOne(ctx workflow.Context, p actionPlan) (outcome, bool) {
	ar := incident.ActionRecord{Name: p.action.Name, Kind: p.action.Kind, Target: p.target, DryRun: r.dryRun, Spec: p.step.spec()}
	fail := func(what string, err error) (outcome, bool) {
		ar.Error = errorMessage(err)
		r.finishAction(ctx, ar, nil, p)
		return outcome{incident.OutcomeEscalated, fmt.Sprintf("action %q %s: %s", p.action.Name, what, ar.Error)}, true
	}
	prior, err := p.step.read(ctx, &ar)
	if err != nil {
		return fail("could not read its target", err)
	}
	if r.dryRun {
		r.finishAction(ctx, ar, nil, p)
		return outcome{}, false
	}
	if out, stop := r.stopBeforeApply(ctx, p, &ar); stop {
		return out, true
	}
	ar.StartedAt = workflow.Now(ctx)
	changed, err := p.step.apply(ctx)
	if err != nil {
		return fail("failed", err)
	}
	ar.Applied, ar.Changed = true, changed
	r.finishAction(ctx, ar, prior, p)
	if t, wait := p.step.rollout(); wait > 0 && changed {
		r.waitRollout(ctx, t, wait)
	}
	return outcome{}, false
}

// finishAction records an action's result; failed says it could not be
// done (the error is in ar.Error).
func (r *incidentRun) finishAction(ctx workflow.Context, ar incident.ActionRecord, prior priorState, p actionPlan) {
	ar.At = workflow.Now(ctx)
	r.st.Actions = append(r.st.Actions, ar)
	switch {
	case ar.Error != "":
		r.recordAction(ctx, ar.Kind, "failed")
	case ar.DryRun:
		r.event(ctx, "action", fmt.Sprintf("dry run: %s would change %s: %s → %s", ar.Name, ar.Target, ar.Before, ar.After))
		r.recordAction(ctx, ar.Kind, "dry_run")
	default:
		r.acted = append(r.acted, ar.At)
		r.applied = append(r.applied, appliedAction{plan: p, record: len(r.st.Actions) - 1, prior: prior})
		result := "applied"
		if !ar.Changed {
			result = "unchanged"
		}
		r.event(ctx, "action", fmt.Sprintf("%s changed %s: %s → %s (%s)", ar.Name, ar.Target, ar.Before, ar.After, result))
		r.recordAction(ctx, ar.Kind, result)
	}
}

// stopBeforeApply checks the kill switch and storm mode once more between
// an action's read and its apply: a pause that arrived while the state was
// being read stops the action before it mutates anything.
func (r *incidentRun) stopBeforeApply(ctx workflow.Context, p actionPlan, ar *incident.ActionRecord) (outcome, bool) {
	why := r.halted(ctx)
	if why == "" {
		return outcome{}, false
	}
	ar.Error = "not applied: " + why
	ar.At = workflow.Now(ctx)
	r.st.Actions = append(r.st.Actions, *ar)
	return outcome{incident.OutcomeEscalated, fmt.Sprintf("stopped before action %q: %s", p.action.Name, why)}, true
}

// waitRollout waits for the target's rollout after an action; an
// unfinished rollout is recorded, and verification decides.
func (r *incidentRun) waitRollout(ctx workflow.Context, t remediate.KubeTarget, wait time.Duration) {
	var st remediate.KubeRolloutStatus
	err := workflow.ExecuteActivity(kubeWaitOpts(ctx, wait), krem.KubeRolloutWait,
		remediate.KubeRolloutWaitInput{Target: t, Timeout: wait}).Get(ctx, &st)
	switch {
	case err != nil:
		r.event(ctx, "action", fmt.Sprintf("waiting for the rollout of %s failed: %s", t, errorMessage(err)))
	case st.Complete:
		r.event(ctx, "action", fmt.Sprintf("rollout of %s complete: %d/%d ready after %s", t, st.Ready, st.Desired, st.Waited.Round(time.Second)))
	default:
		r.event(ctx, "action", fmt.Sprintf("rollout of %s not complete after %s: %d/%d updated, %d ready", t, wait, st.Updated, st.Desired, st.Ready))
	}
}

// rollback undoes the applied actions, newest first, returning each target
// to the state read before it was changed. It never runs while automation
// is paused: restoring is a mutation too.
func (r *incidentRun) rollback(ctx workflow.Context) string {
	if len(r.applied) == 0 {
		return "nothing to roll back"
	}
	if why := r.halted(ctx); why != "" {
		r.event(ctx, "rollback", "rollback skipped: "+why)
		return "rollback skipped: " + why
	}
	var done, failed []string
	for i := len(r.applied) - 1; i >= 0; i-- {
		a := r.applied[i]
		rec := &r.st.Actions[a.record]
		if a.prior == nil {
			rec.RestoreError = "this action cannot be restored"
			failed = append(failed, rec.Name+": cannot be restored")
			continue
		}
		if err := a.prior.restore(ctx); err != nil {
			rec.RestoreError = errorMessage(err)
			failed = append(failed, rec.Name+": "+rec.RestoreError)
			r.recordAction(ctx, rec.Kind+"_restore", "failed")
			continue
		}
		rec.Restored = true
		done = append(done, fmt.Sprintf("%s (%s back to %s)", rec.Name, rec.Target, rec.Before))
		r.recordAction(ctx, rec.Kind+"_restore", "applied")
	}
	msg := "rolled back " + strings.Join(done, ", ")
	if len(done) == 0 {
		msg = "rollback failed"
	}
	if len(failed) > 0 {
		msg += "; could not restore " + strings.Join(failed, "; ")
	}
	r.event(ctx, "rollback", msg)
	return msg
}

// amountSpec is an amount with its clamps, for the record.
func amountSpec(a runbooks.Amount, lo, hi *int64) string {
	out := a.String()
	if lo != nil {
		out += fmt.Sprintf(" min %d", *lo)
	}
	if hi != nil {
		out += fmt.Sprintf(" max %d", *hi)
	}
	return out
}
