package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// Activity receivers: nil pointers whose methods name the activities. The
// worker registers real instances under the same names.
var (
	esc    *escalate.Activities
	rec    *Recorder
	permit *Permits
)

// incidentRun is one execution of the Incident workflow: the parsed runbook,
// the record being written and what the signals said so far.
type incidentRun struct {
	in       Input
	rb       *runbooks.Runbook
	st       incident.State
	scope    runbooks.Scope
	dryRun   bool
	resolved bool // Alertmanager said the alert resolved
	acted    []time.Time

	applied []appliedAction // actions applied, for verify.rollback

	// Engine-wide guardrails (the Control workflow): whether this incident
	// reports to it (false when replaying histories from before it), and
	// what it said.
	control  bool
	revoked  string // why the control workflow told this incident to stop
	storm    *StormNotice
	revokeCh workflow.ReceiveChannel
	stormCh  workflow.ReceiveChannel
	reported workflow.Future // the ReportOpened activity; nil before storm detection
	// asking: whether this incident pages and posts to Slack only once the
	// control workflow said it is not part of a storm (maySpeak), or that
	// it is (!maySpeak); decided once it said.
	asking, decided, maySpeak bool

	pendingSteps int      // delayed escalation steps still waiting
	paged        []string // PagerDuty services triggered, to resolve at the end
	notes        workflow.Channel
	notesBusy    int // notifications queued or being posted
	chatFailed   bool

	// The list view in the workflow's memo (incident_memo.go): whether
	// this incident keeps one (false when replaying histories from before
	// it), what it was computed from and what it says, as last written.
	listMemo bool
	listed   listKey
	view     incident.ListView
	// holdListView: the record is between two changes that belong
	// together; the list view is written once both are made.
	holdListView bool
}

// Incident runs one incident from its runbook: diagnose, decide, remediate
// behind guardrails, verify, and reach an outcome; then it stays open until
// the alert resolves (or Settings.Linger passes) so repeats of the alert
// land here. Its result is the incident's record.
func Incident(ctx workflow.Context, in Input) (incident.State, error) {
	r := &incidentRun{in: in}
	r.st = incident.State{
		IncidentID:  in.IncidentID,
		Runbook:     in.Runbook.Name,
		RunbookSHA:  in.Runbook.SHA256,
		Phase:       incident.PhaseDiagnosing,
		Alert:       in.Alert,
		AlertStatus: in.Alert.Status,
		StartedAt:   workflow.Now(ctx),
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (incident.State, error) { return r.st, nil }); err != nil {
		return r.st, fmt.Errorf("register state query: %w", err)
	}
	if err := r.registerHumanHandlers(ctx); err != nil {
		return r.st, err
	}
	r.timeline(ctx, "started", fmt.Sprintf("incident opened by runbook %s (sha256 %s)", in.Runbook.Name, short(in.Runbook.SHA256)))
	// The list view in the memo, for `firebreak incidents list`.
	if workflow.GetVersion(ctx, "list-memo", workflow.DefaultVersion, 1) >= 1 {
		r.startListView(ctx)
	}
	// Short reads and requests run as local activities (see readCall).
	if workflow.GetVersion(ctx, "local-reads", workflow.DefaultVersion, 1) >= 1 {
		ctx = withLocalReads(ctx)
	}
	workflow.Go(ctx, r.listen)

	rb, err := pinnedRunbook(in.Runbook)
	if err != nil {
		return r.finish(ctx, r.escalate(ctx, fmt.Sprintf("runbook cannot run: %v", err), "error"))
	}
	r.rb = rb
	r.startNotifier(ctx)
	r.notify(ctx, fmt.Sprintf("incident opened by runbook %s", rb.Name))
	r.dryRun = rb.Guardrails.DryRun || in.Settings.DryRun
	r.st.DryRun = r.dryRun
	r.scope = runbooks.Scope{
		Alert:     in.Alert,
		Diagnosis: map[string]runbooks.Diagnosis{},
	}
	r.revokeCh = workflow.GetSignalChannel(ctx, signalRevoke)
	r.stormCh = workflow.GetSignalChannel(ctx, signalStorm)
	// Incidents that started before the engine-wide guardrails neither
	// report to the Control workflow nor ask it for a slot.
	if workflow.GetVersion(ctx, "engine-control", workflow.DefaultVersion, 1) >= 1 {
		r.control = true
		r.reportOpened(ctx)
		r.askBeforePaging(ctx)
	}
	return r.finish(ctx, r.run(ctx))
}

// reportOpened tells the Control workflow (storm detection) that this
// incident opened, in the background: nothing waits for it.
func (r *incidentRun) reportOpened(ctx workflow.Context) {
	info := workflow.GetInfo(ctx)
	rep := OpenedReport{
		IncidentID: r.in.IncidentID, WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		Runbook: r.in.Runbook.Name, Summary: alertSummary(r.in.Alert), Settings: r.in.Settings.Control,
	}
	f, done := workflow.NewFuture(ctx)
	r.reported = f
	workflow.Go(ctx, func(ctx workflow.Context) {
		err := requestCall(ctx, permit.ReportOpened, rep).Get(ctx, nil)
		if err != nil {
			r.timeline(ctx, "guardrail", "could not report to the control workflow (storm detection): "+errorMessage(err))
		}
		done.Set(nil, err)
	})
}

// controlWorkflowID is the ID of the Control workflow of this incident's
// task queue. Incidents started while every queue shared one ID keep
// releasing their slot there when replayed.
func (r *incidentRun) controlWorkflowID(ctx workflow.Context) string {
	if workflow.GetVersion(ctx, "control-per-task-queue", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return legacyControlWorkflowID
	}
	return ControlWorkflowID(workflow.GetInfo(ctx).TaskQueueName)
}

// halted says why this incident must not mutate anything now, or "": the
// kill switch (config or `firebreak pause`) or storm mode. It reads the
// control workflow's signals without blocking, so a revoke recorded before
// this point is always seen before the next mutation is scheduled.
func (r *incidentRun) halted(ctx workflow.Context) string {
	r.drainControl(ctx)
	switch {
	case r.in.Settings.Paused:
		return "automation is paused (kill switch in firebreak.hcl)"
	case r.storm != nil:
		return fmt.Sprintf("storm mode (%s): automation is paused", r.storm.StormID)
	case r.revoked != "":
		return r.revoked
	}
	return ""
}

func (r *incidentRun) drainControl(ctx workflow.Context) {
	if r.revokeCh == nil {
		return
	}
	for {
		var rv Revoke
		if !r.revokeCh.ReceiveAsync(&rv) {
			break
		}
		if r.revoked == "" {
			r.revoked = rv.Reason
			r.event(ctx, "guardrail", "told to stop: "+rv.Reason)
		}
		if rv.Storm != nil && r.storm == nil {
			r.storm = rv.Storm
			r.st.Storm = rv.Storm.StormID
		}
	}
	for {
		var n StormNotice
		if !r.stormCh.ReceiveAsync(&n) {
			break
		}
		r.heardStorm(ctx, n)
	}
}

func (r *incidentRun) heardStorm(ctx workflow.Context, n StormNotice) {
	if r.storm == nil {
		r.storm = &n
		r.st.Storm = n.StormID
		r.event(ctx, "guardrail", fmt.Sprintf("part of storm %s: this incident will not act or page on its own", n.StormID))
	}
}

// askBeforePaging starts asking the control workflow, in the background,
// whether this incident may speak to people on its own (page, post its
// Slack thread): its Slack thread and its escalation wait for the answer.
// Incidents that started before pages asked first do not ask.
func (r *incidentRun) askBeforePaging(ctx workflow.Context) {
	if r.rb == nil || r.in.Settings.Control.StormThreshold <= 0 || len(pageSinks(r.rb)) == 0 ||
		workflow.GetVersion(ctx, "page-asks-control", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	r.asking = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		r.maySpeak = r.mayPage(ctx)
		r.decided = true
	})
}

// pageAnswerWait bounds how long an incident waits for the control
// workflow's answer to one PageRequest before it pages anyway: a page is
// never lost to a guardrail that does not answer.
const pageAnswerWait = 2 * time.Minute

// mayPage asks the control workflow whether this incident may page on its
// own, and waits for its word: false once the incident is part of a storm
// (whose one grouped escalation pages instead), true once no storm can
// count it any more, or when the control workflow cannot be reached.
// Asking after the incident's own report reached the control workflow
// closes the race in which an incident paged before the storm it belonged
// to was detected.
func (r *incidentRun) mayPage(ctx workflow.Context) bool {
	if r.reported != nil {
		if err := r.reported.Get(ctx, nil); err != nil {
			return true // not counted: no storm can list it
		}
	}
	info := workflow.GetInfo(ctx)
	req := PageRequest{IncidentID: r.in.IncidentID, WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		Sinks: pageSinks(r.rb), Settings: r.in.Settings.Control}
	answers := workflow.GetSignalChannel(ctx, signalPageAnswer)
	onStorm := func(ch workflow.ReceiveChannel, _ bool) {
		var n StormNotice
		ch.Receive(ctx, &n)
		r.heardStorm(ctx, n)
	}
	for held := false; ; {
		if r.drainControl(ctx); r.storm != nil {
			return false
		}
		if err := workflow.ExecuteActivity(mutateOpts(ctx), permit.RequestPage, req).Get(ctx, nil); err != nil {
			r.timeline(ctx, "guardrail", "could not ask the control workflow before paging (storm detection); paging: "+errorMessage(err))
			return true
		}
		var a PageAnswer
		answered, timedOut := false, false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(answers, func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, &a); answered = true })
		sel.AddReceive(r.stormCh, onStorm)
		tctx, cancel := workflow.WithCancel(ctx)
		sel.AddFuture(workflow.NewTimer(tctx, pageAnswerWait), func(workflow.Future) { timedOut = true })
		sel.Select(ctx)
		cancel()
		switch {
		case r.storm != nil:
			return false
		case timedOut:
			r.timeline(ctx, "guardrail", fmt.Sprintf("no answer from the control workflow within %s (storm detection); paging", pageAnswerWait))
			return true
		case answered && a.Wait <= 0:
			if held {
				r.event(ctx, "guardrail", "no storm: paging")
			}
			return true
		}
		if !held {
			held = true
			r.event(ctx, "guardrail", fmt.Sprintf("holding pages for %s until storm detection has counted this incident", a.Wait.Round(time.Second)))
		}
		// Wait out the hold; a storm notice ends it early.
		sel = workflow.NewSelector(ctx)
		sel.AddReceive(r.stormCh, onStorm)
		tctx, cancel = workflow.WithCancel(ctx)
		sel.AddFuture(workflow.NewTimer(tctx, a.Wait), func(workflow.Future) {})
		sel.Select(ctx)
		cancel()
	}
}

// pageSinks are the destinations a runbook would page or post to: its
// incident thread's Slack channel and its escalation's Slack channels and
// PagerDuty services, each once.
func pageSinks(rb *runbooks.Runbook) []PageSink {
	var out []PageSink
	if rb.SlackChannel != "" {
		out = append(out, PageSink{Sink: "slack", Channel: rb.SlackChannel})
	}
	for _, st := range rb.Escalate.Steps {
		var k PageSink
		switch st.Sink {
		case runbooks.SinkSlack:
			k = PageSink{Sink: "slack", Channel: st.Channel}
		case runbooks.SinkPagerDuty:
			k = PageSink{Sink: "pagerduty", Service: st.Service}
		default:
			continue
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// alertSummary is the alert in one line: its labels, sorted, bounded.
func alertSummary(a incident.Alert) string {
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", k, a.Labels[k])
		if b.Len() > 300 {
			return b.String()[:300] + "…"
		}
	}
	return b.String()
}

// outcome is how run ended: the outcome and why.
type outcome struct {
	kind   string
	reason string
}

func (r *incidentRun) run(ctx workflow.Context) outcome {
	if failed := r.diagnose(ctx); failed != "" {
		return r.escalate(ctx, failed, r.rb.Escalate.LogLevel)
	}
	esc, err := r.rb.ShouldEscalate(&r.scope)
	if err != nil {
		return r.escalate(ctx, fmt.Sprintf("escalate_when could not be evaluated: %v", err), r.rb.Escalate.LogLevel)
	}
	if esc {
		return r.escalate(ctx, "escalate_when holds: the diagnosis is not one this runbook fixes", r.rb.Escalate.LogLevel)
	}
	var chosen *runbooks.Remediation
	for _, m := range r.rb.Remediations {
		ok, err := m.Holds(&r.scope)
		if err != nil {
			return r.escalate(ctx, fmt.Sprintf("remediate %q: when could not be evaluated: %v", m.Name, err), r.rb.Escalate.LogLevel)
		}
		if ok {
			chosen = m
			break
		}
	}
	if chosen == nil {
		return r.escalate(ctx, "no remediation applies to this diagnosis", r.rb.Escalate.LogLevel)
	}
	r.st.Remediation = chosen.Name
	r.st.Phase = incident.PhaseRemediating
	r.event(ctx, "remediation", fmt.Sprintf("remediation %q chosen", chosen.Name))

	if r.resolved {
		return outcome{incident.OutcomeStopped, "alert resolved before the first action"}
	}
	if why := r.halted(ctx); why != "" {
		return r.escalate(ctx, fmt.Sprintf("%s: remediation %q not run", why, chosen.Name), r.rb.Escalate.LogLevel)
	}

	plans, err := r.plan(chosen)
	if err != nil {
		return r.escalate(ctx, err.Error(), r.rb.Escalate.LogLevel)
	}
	if chosen.Approval != nil {
		if r.dryRun {
			r.event(ctx, "approval", "dry run: approval not requested, nothing will change")
		} else if out, done := r.awaitApproval(ctx, chosen); done {
			if out.kind == incident.OutcomeEscalated {
				return r.escalate(ctx, out.reason, r.rb.Escalate.LogLevel)
			}
			return out
		}
	}
	var release func()
	if !r.dryRun {
		var reason string
		release, reason = r.acquire(ctx, plans, chosen)
		if reason != "" {
			return r.escalate(ctx, reason, r.rb.Escalate.LogLevel)
		}
	}
	out, done := r.act(ctx, plans)
	if done {
		if out.kind == incident.OutcomeEscalated && chosen.Verify != nil && chosen.Verify.Rollback && len(r.applied) > 0 {
			out.reason += "; " + r.rollback(ctx)
		}
		if release != nil {
			release()
		}
		if out.kind == incident.OutcomeEscalated {
			return r.escalate(ctx, out.reason, r.rb.Escalate.LogLevel)
		}
		return out
	}
	if r.dryRun {
		return r.escalate(ctx, fmt.Sprintf("dry run: remediation %q planned, nothing changed", chosen.Name), "info")
	}
	out = r.verify(ctx, chosen)
	if out.kind == incident.OutcomeEscalated && chosen.Verify != nil && chosen.Verify.Rollback {
		out.reason += "; " + r.rollback(ctx)
	}
	if release != nil {
		release()
	}
	if out.kind == incident.OutcomeEscalated {
		return r.escalate(ctx, out.reason, r.rb.Escalate.LogLevel)
	}
	return out
}

// acquire obtains leave to act: first one of the engine-wide remediation
// slots from the Control workflow (refused while paused or in a storm),
// then the permit of every target the plans touch, in sorted order so that
// two incidents can never wait on each other. It returns a function that
// releases them all, or why leave was refused.
func (r *incidentRun) acquire(ctx workflow.Context, plans []actionPlan, m *runbooks.Remediation) (func(), string) {
	seen := map[string]bool{}
	var targets []string
	for _, p := range plans {
		if !seen[p.target] {
			seen[p.target] = true
			targets = append(targets, p.target)
		}
	}
	sort.Strings(targets)
	info := workflow.GetInfo(ctx)
	g := r.rb.Guardrails
	// The lease outlasts everything the remediation may wait for: rollout
	// waits and verification, plus margin.
	lease := time.Hour
	if m.Verify != nil {
		lease = m.Verify.Within + 10*time.Minute
	}
	for _, p := range plans {
		_, wait := p.step.rollout()
		lease += wait
	}
	timeout := r.in.Settings.PermitTimeout
	if timeout <= 0 {
		timeout = DefaultPermitTimeout
	}
	if g.BusyTimeout > 0 {
		timeout = g.BusyTimeout
	}
	noWait := g.OnBusy == runbooks.OnBusyEscalate
	permits := workflow.GetSignalChannel(ctx, signalPermit)
	var held []string
	slot := false
	release := func() {
		if len(held) > 0 {
			r.timeline(ctx, "guardrail", "releasing the permit of "+strings.Join(held, ", "))
		}
		for _, t := range held {
			rel := Release{IncidentID: r.in.IncidentID, ActedAt: r.acted}
			// Best effort: a ledger that never hears the release frees the
			// target when the lease ends.
			_ = workflow.SignalExternalWorkflow(ctx, TargetWorkflowID(t), "", signalRelease, rel).Get(ctx, nil)
		}
		held = nil
		if slot {
			_ = workflow.SignalExternalWorkflow(ctx, r.controlWorkflowID(ctx), "", signalSlotRelease, r.in.IncidentID).Get(ctx, nil)
			slot = false
		}
	}
	// await waits for the answer about target t (ControlTarget for the slot).
	await := func(t string, d time.Duration) (Permit, bool) {
		var p Permit
		for {
			got, timedOut := false, false
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(permits, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &p); got = true })
			tctx, cancel := workflow.WithCancel(ctx)
			sel.AddFuture(workflow.NewTimer(tctx, d), func(workflow.Future) { timedOut = true })
			sel.Select(ctx)
			cancel()
			if timedOut {
				return Permit{}, false
			}
			if got && p.Target == t {
				return p, true
			}
		}
	}
	if r.control {
		req := SlotRequest{IncidentID: r.in.IncidentID, WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
			Runbook: r.rb.Name, Lease: lease, Settings: r.in.Settings.Control}
		if err := requestCall(ctx, permit.RequestSlot, req).Get(ctx, nil); err != nil {
			return nil, "guardrails: could not reach the control workflow: " + errorMessage(err)
		}
		p, ok := await(ControlTarget, timeout)
		if !ok {
			slot = true // it may be granted later: release it then
			release()
			return nil, fmt.Sprintf("guardrails: no remediation slot free within %s (at most %d remediations at once)", timeout, r.in.Settings.Control.MaxConcurrent)
		}
		if !p.Granted {
			r.drainControl(ctx)
			return nil, "guardrails: " + p.Reason
		}
		slot = true
	}
	for _, t := range targets {
		req := PermitRequest{
			Target: t, IncidentID: r.in.IncidentID, WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
			Runbook: r.rb.Name, Cooldown: g.Cooldown, MaxActions: g.MaxActions, Window: g.Window, Lease: lease, NoWait: noWait,
		}
		if err := requestCall(ctx, permit.RequestPermit, req).Get(ctx, nil); err != nil {
			release()
			return nil, fmt.Sprintf("guardrails: could not reach the ledger of %s: %s", t, errorMessage(err))
		}
		r.event(ctx, "guardrail", "waiting for the permit of "+t)
		p, ok := await(t, timeout)
		if !ok {
			held = append(held, t) // the ledger may grant later: release it then
			release()
			return nil, fmt.Sprintf("guardrails: %s stayed busy with another remediation for %s", t, timeout)
		}
		if !p.Granted {
			release()
			return nil, "guardrails: " + p.Reason
		}
		held = append(held, t)
		r.event(ctx, "guardrail", "permit granted for "+t)
	}
	return release, ""
}

// verify polls the verification query on durable timers until it has held
// for v.For, or v.Within has passed.
func (r *incidentRun) verify(ctx workflow.Context, m *runbooks.Remediation) outcome {
	v := m.Verify
	if v == nil {
		r.st.Verification = "none configured"
		return outcome{incident.OutcomeResolved, fmt.Sprintf("remediation %q applied; the runbook has no verify block", m.Name)}
	}
	query, err := v.PromQuery(&r.scope)
	if err != nil {
		return outcome{incident.OutcomeEscalated, fmt.Sprintf("verify query could not be built: %v", err)}
	}
	r.st.Phase = incident.PhaseVerifying
	r.event(ctx, "verify", fmt.Sprintf("verifying for %s within %s: %s", v.For, v.Within, query))
	start := workflow.Now(ctx)
	var holdingSince time.Time
	for {
		now := workflow.Now(ctx)
		var res diagnose.QueryResult
		err := workflow.ExecuteActivity(queryOpts(ctx), diag.PromQuery, diagnose.QueryInput{Query: query}).Get(ctx, &res)
		check := incident.CheckRecord{Query: query, Value: res.Value, Found: res.Found, At: now}
		if err != nil {
			check.Error = errorMessage(err)
		} else {
			check.Passed = res.Found && v.Passes(res.Value)
		}
		r.st.Checks = append(r.st.Checks, check)
		if check.Passed {
			if holdingSince.IsZero() {
				holdingSince = now
			}
			if now.Sub(holdingSince) >= v.For {
				r.st.Verification = "passed"
				r.event(ctx, "verify", fmt.Sprintf("passed: %g held for %s", res.Value, now.Sub(holdingSince)))
				return outcome{incident.OutcomeResolved, fmt.Sprintf("remediation %q verified: %s", m.Name, thresholdText(v, res.Value))}
			}
		} else {
			holdingSince = time.Time{}
		}
		if now.Sub(start) >= v.Within {
			r.st.Verification = "failed"
			last := "no data"
			if check.Error != "" {
				last = "query failed: " + check.Error
			} else if check.Found {
				last = fmt.Sprintf("last value %g", check.Value)
			}
			r.event(ctx, "verify", "failed: "+last)
			return outcome{incident.OutcomeEscalated, fmt.Sprintf("verification failed: not %s for %s within %s (%s)", thresholdText(v, check.Value), v.For, v.Within, last)}
		}
		if err := workflow.Sleep(ctx, v.Every); err != nil {
			return outcome{incident.OutcomeEscalated, fmt.Sprintf("verification interrupted: %v", err)}
		}
	}
}

// escalate hands the incident to humans through the runbook's escalation
// policy and returns the escalated outcome. Steps without a delay run now,
// in order, each on its own (one failing never stops the next); delayed
// steps wait in the background and are skipped if someone acknowledges the
// incident or the alert resolves first.
func (r *incidentRun) escalate(ctx workflow.Context, reason, level string) outcome {
	r.st.Phase = incident.PhaseEscalating
	r.st.Reason = reason
	r.event(ctx, "escalate", reason)
	// In a storm the incident does not page on its own: the storm's one
	// grouped escalation lists it. It still writes its record.
	if r.drainControl(ctx); r.storm != nil {
		reason = fmt.Sprintf("grouped into %s: %s", r.storm.StormID, reason)
		r.escalateOnce(ctx, runbooks.EscalationStep{Sink: runbooks.SinkLog}, reason, level)
		return outcome{incident.OutcomeGrouped, reason}
	}
	// Incidents started before escalation policies escalated to the record
	// sink only, in line; they keep doing so when replayed.
	if v := workflow.GetVersion(ctx, "escalation-policy", workflow.DefaultVersion, 1); v == workflow.DefaultVersion || r.rb == nil {
		r.escalateOnce(ctx, runbooks.EscalationStep{Sink: runbooks.SinkLog}, reason, level)
		return outcome{incident.OutcomeEscalated, reason}
	}
	// Storm detection sees every incident before any pages on its own:
	// wait for the control workflow's word (askBeforePaging).
	if r.asking {
		if err := workflow.Await(ctx, func() bool { return r.decided }); err == nil && !r.maySpeak {
			reason = fmt.Sprintf("grouped into %s: %s", r.storm.StormID, reason)
			r.escalateOnce(ctx, runbooks.EscalationStep{Sink: runbooks.SinkLog}, reason, level)
			return outcome{incident.OutcomeGrouped, reason}
		}
	}
	// Each step in its own coroutine: a slow or dead sink never delays
	// another's delivery, and the incident's outcome is not held up by any.
	for _, step := range r.rb.Escalate.Steps {
		r.pendingSteps++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { r.pendingSteps-- }()
			if step.After > 0 {
				ok, _ := workflow.AwaitWithTimeout(ctx, step.After, func() bool { return r.resolved || r.st.Acknowledged != nil })
				if ok {
					r.event(ctx, "escalate", fmt.Sprintf("%s step skipped: the incident was acknowledged or resolved within %s", step.Sink, step.After))
					return
				}
			}
			r.escalateStep(ctx, step, reason, level)
		})
	}
	return outcome{incident.OutcomeEscalated, reason}
}

// Escalation delivery: each attempt is one activity call making one call
// to its destination (the clients never retry; this loop is the only retry
// layer); between attempts the workflow backs off, waiting longer when the
// destination's rate limit asked for it, and records the failure, so a
// dead destination shows in the incident at once and is retried a bounded
// number of times, never in a storm.
const (
	escalationAttempts = 6
	escalationBackoff  = 2 * time.Second
	escalationMaxWait  = time.Minute
)

// escalateStep delivers one step, retrying with backoff, and records how
// it went.
func (r *incidentRun) escalateStep(ctx workflow.Context, step runbooks.EscalationStep, reason, level string) {
	i := len(r.st.Escalations)
	r.st.Escalations = append(r.st.Escalations, incident.EscalationRecord{Sink: step.Sink, Reason: reason, At: workflow.Now(ctx)})
	wait := escalationBackoff
	for attempt := 1; ; attempt++ {
		e := escalate.Escalation{IncidentID: r.in.IncidentID, Runbook: r.in.Runbook.Name, Reason: reason, Level: level,
			Record: escalate.SummaryOf(r.st), TimelineURL: r.in.Settings.TimelineURL}
		in := escalate.Input{Escalation: e, Step: escalate.Step{Sink: step.Sink, Channel: step.Channel, Service: step.Service, Severity: step.Severity, Thread: r.st.Slack}}
		err := workflow.ExecuteActivity(deliverOpts(ctx), esc.Escalate, in).Get(ctx, nil)
		rec := &r.st.Escalations[i]
		rec.Attempts, rec.At = attempt, workflow.Now(ctx)
		if err == nil {
			rec.Error, rec.Delivered = "", true
			r.event(ctx, "escalate", "escalated to "+step.Sink)
			if step.Sink == runbooks.SinkPagerDuty {
				r.paged = append(r.paged, step.Service)
			}
			return
		}
		rec.Error = errorMessage(err)
		var app *temporal.ApplicationError
		final := attempt >= escalationAttempts || (errors.As(err, &app) && app.NonRetryable())
		r.timeline(ctx, "escalate", fmt.Sprintf("%s attempt %d failed: %s", step.Sink, attempt, rec.Error))
		if final {
			r.event(ctx, "escalate", fmt.Sprintf("%s failed after %d attempt(s): %s", step.Sink, attempt, rec.Error))
			return
		}
		// A rate limit's Retry-After (at most escalate.MaxRetryDelay) only
		// lengthens this sleep: the same timer, so replay is unaffected.
		sleep := wait
		if app != nil && app.NextRetryDelay() > sleep {
			sleep = app.NextRetryDelay()
		}
		if err := workflow.Sleep(ctx, sleep); err != nil {
			return
		}
		wait = min(2*wait, escalationMaxWait)
	}
}

// escalateOnce is the original single-shot delivery, kept for incidents
// that started before escalation policies.
func (r *incidentRun) escalateOnce(ctx workflow.Context, step runbooks.EscalationStep, reason, level string) {
	e := escalate.Escalation{IncidentID: r.in.IncidentID, Runbook: r.in.Runbook.Name, Reason: reason, Level: level,
		Record: escalate.SummaryOf(r.st), TimelineURL: r.in.Settings.TimelineURL}
	in := escalate.Input{Escalation: e, Step: escalate.Step{Sink: step.Sink}}
	err := workflow.ExecuteActivity(notifyOpts(ctx), esc.Escalate, in).Get(ctx, nil)
	er := incident.EscalationRecord{Sink: step.Sink, Reason: reason, At: workflow.Now(ctx), Attempts: 1, Delivered: err == nil}
	if err != nil {
		er.Error = errorMessage(err)
	}
	r.st.Escalations = append(r.st.Escalations, er)
}

// finish records the outcome, then keeps the incident open until the alert
// resolves or the linger time passes.
func (r *incidentRun) finish(ctx workflow.Context, out outcome) (incident.State, error) {
	r.st.Outcome, r.st.Reason = out.kind, out.reason
	r.st.OutcomeAt = workflow.Now(ctx)
	r.event(ctx, "outcome", out.kind+": "+out.reason)
	// The list view waits for the phase that goes with the outcome, set
	// after RecordOutcome, to write both at once.
	r.holdListView = true
	_ = workflow.ExecuteLocalActivity(recordOpts(ctx), rec.RecordOutcome, OutcomeEvent{
		Runbook: r.in.Runbook.Name, Outcome: out.kind, AlertStartsAt: r.in.Alert.StartsAt, At: r.st.OutcomeAt,
	}).Get(ctx, nil)
	r.holdListView = false
	if out.kind != incident.OutcomeStopped && !r.resolved {
		r.st.Phase = incident.PhaseAwaitingResolution
		linger := r.in.Settings.Linger
		if linger <= 0 {
			linger = DefaultLinger
		}
		ok, err := workflow.AwaitWithTimeout(ctx, linger, func() bool { return r.resolved })
		if err != nil {
			return r.st, err
		}
		if !ok {
			r.event(ctx, "closed", fmt.Sprintf("alert still firing after %s: closing; a later notification opens a new incident", linger))
		}
	}
	if len(r.paged) > 0 && (r.resolved || out.kind == incident.OutcomeResolved) {
		err := workflow.ExecuteActivity(notifyOpts(ctx), esc.Resolve, escalate.ResolveInput{IncidentID: r.in.IncidentID, Services: r.paged}).Get(ctx, nil)
		if err != nil {
			r.event(ctx, "escalate", "resolving the page failed: "+errorMessage(err))
		} else {
			r.event(ctx, "escalate", "page resolved")
		}
	}
	// Let escalation steps that are delivering finish (bounded: a step gives
	// up after its attempts); delayed ones see the resolution and skip.
	// (An await always starts a timer, so only when something is pending:
	// histories recorded before escalation policies have none.)
	if r.pendingSteps > 0 {
		_, _ = workflow.AwaitWithTimeout(ctx, 5*time.Minute, func() bool { return r.pendingSteps == 0 })
	}
	r.st.Phase = incident.PhaseClosed
	r.st.ClosedAt = workflow.Now(ctx)
	r.notify(ctx, "closed: "+r.st.Outcome)
	r.drainNotifications(ctx)
	r.writeListView(ctx) // the last word, before the workflow completes
	return r.st, nil
}

// listen applies Alertmanager notifications as they arrive.
func (r *incidentRun) listen(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalAlert)
	for {
		var a incident.Alert
		if more := ch.Receive(ctx, &a); !more {
			return
		}
		r.st.Notifications++
		r.st.AlertStatus = a.Status
		if a.Status == "resolved" {
			if !r.resolved {
				r.resolved = true
				r.st.AlertResolvedAt = workflow.Now(ctx)
				r.event(ctx, "alert", "Alertmanager reports the alert resolved")
			}
			continue
		}
		if r.st.Notifications > 1 {
			r.event(ctx, "alert", "alert still firing (repeat notification)")
		}
	}
}

// event adds a line to the timeline and to the incident's Slack thread.
func (r *incidentRun) event(ctx workflow.Context, kind, msg string) {
	r.timeline(ctx, kind, msg)
	r.notify(ctx, msg)
}

// timeline adds a line to the timeline only.
func (r *incidentRun) timeline(ctx workflow.Context, kind, msg string) {
	r.st.Timeline = append(r.st.Timeline, incident.Event{At: workflow.Now(ctx), Kind: kind, Message: msg})
	workflow.GetLogger(ctx).Info(msg, "incident", r.in.IncidentID, "kind", kind)
}

func (r *incidentRun) recordAction(ctx workflow.Context, kind, result string) {
	first := r.st.FirstActionAt.IsZero() && result != "failed" && result != "dry_run"
	now := workflow.Now(ctx)
	if first {
		r.st.FirstActionAt = now
	}
	_ = workflow.ExecuteLocalActivity(recordOpts(ctx), rec.RecordAction, ActionEvent{
		Runbook: r.in.Runbook.Name, Kind: kind, Result: result, First: first, AlertStartsAt: r.in.Alert.StartsAt, At: now,
	}).Get(ctx, nil)
}

// pinnedRunbook checks the pinned source against its digest and parses it.
// Parsing is deterministic, so a replay parses to the same runbook.
func pinnedRunbook(p PinnedRunbook) (*runbooks.Runbook, error) {
	sum := sha256.Sum256(p.Source)
	if got := hex.EncodeToString(sum[:]); got != p.SHA256 {
		return nil, fmt.Errorf("pinned source of %s does not match its sha256 (got %s, want %s)", p.Filename, short(got), short(p.SHA256))
	}
	rb, diags := runbooks.Parse(p.Filename, p.Source)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse %s: %s", p.Filename, diags.Error())
	}
	if rb.Name != p.Name {
		return nil, fmt.Errorf("pinned source of %s defines runbook %q, not %q", p.Filename, rb.Name, p.Name)
	}
	return rb, nil
}

func thresholdText(v *runbooks.Verify, value float64) string {
	switch {
	case v.Below != nil:
		return fmt.Sprintf("value %g below %g", value, *v.Below)
	case v.Above != nil:
		return fmt.Sprintf("value %g above %g", value, *v.Above)
	}
	return fmt.Sprintf("value %g", value)
}

// errorMessage unwraps Temporal's activity error to the application's own
// message, which is what a person reading the record wants.
func errorMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		if t := app.Type(); t != "" && t != "wrapError" && t != "errorString" && t != "*fmt.wrapError" && t != "*errors.errorString" {
			return app.Error() + " [" + t + "]"
		}
		return app.Error()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out: " + timeout.Error()
	}
	return err.Error()
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
