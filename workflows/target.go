package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// TargetState is the durable memory of one target: who holds it, who waits,
// and when it was last changed. It survives restarts because it lives in
// the ledger's history, and continue-as-new carries it forward.
type TargetState struct {
	Target    string
	Holder    *PermitRequest
	HeldSince time.Time
	Queue     []PermitRequest
	// Actions are the times of actions taken on the target, newest last,
	// trimmed to the longest window any request asked about.
	Actions []time.Time
	// Retain is the longest cooldown or window seen: the ledger stays alive
	// at least that long after the last action so no guardrail is forgotten.
	Retain time.Duration
}

// targetHistoryLimit bounds the ledger's history before it continues as new.
const targetHistoryLimit = 500

// targetIdleGrace is how long an idle ledger with nothing to remember
// waits before it ends.
const targetIdleGrace = time.Minute

// Target is the ledger of one remediation target (a PgBouncer database, a
// Deployment). It grants one permit at a time, in request order, and refuses
// a permit while the target is in cooldown or its action budget for the
// window is spent. Guardrails therefore hold across runbooks, incidents and
// worker restarts, not just inside one process.
func Target(ctx workflow.Context, in TargetInput, carried *TargetState) error {
	st := TargetState{Target: in.Target}
	if carried != nil {
		st = *carried
	}
	acquire := workflow.GetSignalChannel(ctx, signalAcquire)
	release := workflow.GetSignalChannel(ctx, signalRelease)
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (TargetState, error) { return st, nil }); err != nil {
		return fmt.Errorf("register target query: %w", err)
	}
	log := workflow.GetLogger(ctx)
	handled := 0
	for {
		st.grant(ctx)
		idle := st.Holder == nil && len(st.Queue) == 0
		pending := acquire.Len() > 0 || release.Len() > 0
		if idle && !pending && handled > 0 && (len(st.Actions) == 0 || workflow.Now(ctx).Sub(st.Actions[len(st.Actions)-1]) >= st.Retain) {
			// Nothing held, nothing to remember: end. A later request starts
			// a fresh ledger.
			return nil
		}
		if handled >= targetHistoryLimit && !pending {
			return workflow.NewContinueAsNewError(ctx, Target, in, &st)
		}
		tctx, cancel := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(acquire, func(c workflow.ReceiveChannel, _ bool) {
			var req PermitRequest
			c.Receive(ctx, &req)
			st.enqueue(ctx, req)
		})
		sel.AddReceive(release, func(c workflow.ReceiveChannel, _ bool) {
			var rel Release
			c.Receive(ctx, &rel)
			st.release(rel)
		})
		if st.Holder != nil {
			lease := st.Holder.Lease
			if lease <= 0 {
				lease = time.Hour
			}
			wait := st.HeldSince.Add(lease).Sub(workflow.Now(ctx))
			if wait < time.Millisecond {
				wait = time.Millisecond
			}
			sel.AddFuture(workflow.NewTimer(tctx, wait), func(workflow.Future) {
				if st.Holder != nil && !workflow.Now(ctx).Before(st.HeldSince.Add(lease)) {
					log.Warn("permit lease expired; releasing", "target", st.Target, "incident", st.Holder.IncidentID)
					st.Holder = nil
				}
			})
		} else if idle {
			wait := st.Retain
			if len(st.Actions) > 0 {
				wait = st.Actions[len(st.Actions)-1].Add(st.Retain).Sub(workflow.Now(ctx))
			}
			// Linger a little even with nothing to remember, so a burst of
			// incidents reuses one ledger instead of starting one each.
			wait = max(wait, targetIdleGrace)
			sel.AddFuture(workflow.NewTimer(tctx, wait), func(workflow.Future) {})
		}
		sel.Select(ctx)
		cancel()
		handled++
	}
}

func (st *TargetState) enqueue(ctx workflow.Context, req PermitRequest) {
	if keep := max(req.Cooldown, req.Window); keep > st.Retain {
		st.Retain = keep
	}
	if st.Holder != nil && st.Holder.IncidentID == req.IncidentID {
		// A retried request from the holder: answer again.
		st.answer(ctx, req, Permit{Target: st.Target, Granted: true})
		return
	}
	for _, q := range st.Queue {
		if q.IncidentID == req.IncidentID {
			return
		}
	}
	if req.NoWait && (st.Holder != nil || len(st.Queue) > 0) {
		busy := fmt.Sprintf("%s is busy: %d remediation(s) ahead", st.Target, len(st.Queue))
		if st.Holder != nil {
			busy = fmt.Sprintf("%s is busy: incident %s (runbook %s) is remediating it, and this runbook says on_busy = \"escalate\"",
				st.Target, st.Holder.IncidentID, st.Holder.Runbook)
		}
		st.answer(ctx, req, Permit{Target: st.Target, Reason: busy})
		return
	}
	st.Queue = append(st.Queue, req)
}

func (st *TargetState) release(rel Release) {
	if st.Holder == nil || st.Holder.IncidentID != rel.IncidentID {
		// An incident that gave up waiting (busy_timeout) withdraws its
		// request, so the ledger never grants a permit nobody will use.
		for i, q := range st.Queue {
			if q.IncidentID == rel.IncidentID {
				st.Queue = append(st.Queue[:i:i], st.Queue[i+1:]...)
				break
			}
		}
		return
	}
	st.Actions = append(st.Actions, rel.ActedAt...)
	st.Holder = nil
}

// grant hands the permit to the first queued request that the guardrails
// allow, refusing those they do not.
func (st *TargetState) grant(ctx workflow.Context) {
	now := workflow.Now(ctx)
	st.trim(now)
	for st.Holder == nil && len(st.Queue) > 0 {
		req := st.Queue[0]
		st.Queue = st.Queue[1:]
		if reason := st.refusal(req, now); reason != "" {
			st.answer(ctx, req, Permit{Target: st.Target, Reason: reason})
			continue
		}
		if st.answer(ctx, req, Permit{Target: st.Target, Granted: true}) {
			h := req
			st.Holder, st.HeldSince = &h, now
		}
	}
}

// refusal says why req may not act now, or "".
func (st *TargetState) refusal(req PermitRequest, now time.Time) string {
	if n := len(st.Actions); n > 0 && req.Cooldown > 0 {
		if until := st.Actions[n-1].Add(req.Cooldown); now.Before(until) {
			return fmt.Sprintf("%s is in cooldown until %s (last action %s ago, cooldown %s)",
				st.Target, until.UTC().Format(time.RFC3339), now.Sub(st.Actions[n-1]).Round(time.Second), req.Cooldown)
		}
	}
	if req.MaxActions > 0 && req.Window > 0 {
		count := 0
		for _, t := range st.Actions {
			if now.Sub(t) < req.Window {
				count++
			}
		}
		if count >= req.MaxActions {
			return fmt.Sprintf("%s had %d actions in the last %s (max_actions %d)", st.Target, count, req.Window, req.MaxActions)
		}
	}
	return ""
}

func (st *TargetState) trim(now time.Time) {
	i := 0
	for i < len(st.Actions) && now.Sub(st.Actions[i]) > st.Retain {
		i++
	}
	st.Actions = st.Actions[i:]
}

// answer signals the requester; false when it no longer exists.
func (st *TargetState) answer(ctx workflow.Context, req PermitRequest, p Permit) bool {
	err := workflow.SignalExternalWorkflow(ctx, req.WorkflowID, req.RunID, signalPermit, p).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("permit answer not delivered", "target", st.Target, "incident", req.IncidentID, "err", err)
		return false
	}
	return true
}
