package workflows

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/escalate"
	"github.com/firebreak-dev/firebreak/internal/incident"
)

// Bounds that keep the control workflow's state and history small.
const (
	controlHistoryLimit = 1000 // events handled before continuing as new
	maxStormIncidents   = 500  // incidents listed per storm
	maxPastStorms       = 10
	controlIdleGrace    = time.Minute
	defaultSlotLease    = time.Hour
)

// PauseRecord says who paused automation, when and why.
type PauseRecord struct {
	By     string
	Reason string
	At     time.Time
}

// StormIncident is one incident counted by storm detection.
type StormIncident struct {
	IncidentID string
	WorkflowID string
	RunID      string
	Runbook    string
	Summary    string
	At         time.Time
	// Sinks are where the incident would page, once it asked (PageRequest).
	Sinks []PageSink `json:",omitempty"`
}

// StormRecord is one storm: when it began, the incidents it grouped and
// whether its one grouped escalation went out.
type StormRecord struct {
	ID         string
	Since      time.Time
	LastOpened time.Time
	Ended      time.Time `json:",omitempty"`
	EndedBy    string    `json:",omitempty"` // "quiet" or "resume by <operator>"
	Count      int       // incidents grouped, including those beyond the list's bound
	Incidents  []StormIncident
	Escalation []incident.EscalationRecord
	// Paged are the sinks the storm's incidents would have paged, besides
	// the configured storm sinks; the grouped escalation went to each.
	Paged []PageSink `json:",omitempty"`
}

// SlotHolder is an incident holding one of the global remediation slots.
type SlotHolder struct {
	Request SlotRequest
	Since   time.Time
}

// ControlState is the engine-wide guardrail state: the kill switch, storm
// mode and the remediation slots in use.
type ControlState struct {
	Paused     *PauseRecord `json:",omitempty"`
	Storm      *StormRecord `json:",omitempty"`
	PastStorms []StormRecord
	// Recent are the incidents opened within the storm window.
	Recent   []StormIncident
	Holders  []SlotHolder
	Queue    []SlotRequest
	Settings ControlSettings
}

// Revoke tells an incident to stop mutating.
type Revoke struct {
	Reason string
	// Storm is set when the revoke is storm mode's: the incident is then
	// part of the storm, as if it had its StormNotice.
	Storm *StormNotice `json:",omitempty"`
}

// StormNotice tells an incident that it is part of a storm: it does not act
// and does not escalate on its own; the storm's grouped escalation lists it.
type StormNotice struct {
	StormID string
	Since   time.Time
	Reason  string
}

// Control is the engine-wide guardrail: one workflow per namespace and task
// queue (ID ControlWorkflowID(queue)) holding the kill switch, storm
// detection and the cap on concurrent remediations. Incidents report their
// opening to it and ask it for a slot before their first mutation; both
// survive restarts because they live in this workflow's history.
func Control(ctx workflow.Context, _ ControlInput, carried *ControlState) error {
	c := &control{}
	if carried != nil {
		c.st = *carried
	}
	if err := workflow.SetQueryHandler(ctx, QueryControl, func() (ControlState, error) { return c.st, nil }); err != nil {
		return fmt.Errorf("register control query: %w", err)
	}
	c.wake = workflow.NewBufferedChannel(ctx, 1)
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdatePause, c.pause, workflow.UpdateHandlerOptions{
		Validator: func(_ workflow.Context, req PauseRequest) error {
			if strings.TrimSpace(req.By) == "" {
				return fmt.Errorf("pause: say who pauses (By)")
			}
			return nil
		},
	}); err != nil {
		return fmt.Errorf("register pause: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateResume, c.resume, workflow.UpdateHandlerOptions{
		Validator: func(_ workflow.Context, req ResumeRequest) error {
			if strings.TrimSpace(req.By) == "" {
				return fmt.Errorf("resume: say who resumes (By)")
			}
			return nil
		},
	}); err != nil {
		return fmt.Errorf("register resume: %w", err)
	}
	opened := workflow.GetSignalChannel(ctx, signalOpened)
	acquire := workflow.GetSignalChannel(ctx, signalSlotAcquire)
	release := workflow.GetSignalChannel(ctx, signalSlotRelease)
	page := workflow.GetSignalChannel(ctx, signalPage)
	handled := 0
	for {
		c.tick(ctx)
		pending := opened.Len() > 0 || acquire.Len() > 0 || release.Len() > 0 || page.Len() > 0 || c.wake.Len() > 0
		if !c.idle(ctx) {
			c.idleSince = time.Time{}
		} else if c.idleSince.IsZero() {
			c.idleSince = workflow.Now(ctx)
		}
		// Linger a while when idle, so a burst of incidents reuses one run.
		if !pending && handled > 0 && c.idle(ctx) && workflow.Now(ctx).Sub(c.idleSince) >= controlIdleGrace {
			// Nothing to hold or remember: end, once handlers are done. A
			// later report starts a fresh one.
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			if opened.Len() == 0 && acquire.Len() == 0 && release.Len() == 0 && page.Len() == 0 && c.wake.Len() == 0 && c.idle(ctx) {
				return nil
			}
		}
		if handled >= controlHistoryLimit && !pending {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && c.escalating == 0 }); err != nil {
				return err
			}
			return workflow.NewContinueAsNewError(ctx, Control, ControlInput{}, &c.st)
		}
		tctx, cancel := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(opened, func(ch workflow.ReceiveChannel, _ bool) {
			var r OpenedReport
			ch.Receive(ctx, &r)
			c.opened(ctx, r)
		})
		sel.AddReceive(acquire, func(ch workflow.ReceiveChannel, _ bool) {
			var r SlotRequest
			ch.Receive(ctx, &r)
			c.enqueue(ctx, r)
		})
		sel.AddReceive(release, func(ch workflow.ReceiveChannel, _ bool) {
			var id string
			ch.Receive(ctx, &id)
			c.release(id)
		})
		sel.AddReceive(page, func(ch workflow.ReceiveChannel, _ bool) {
			var r PageRequest
			ch.Receive(ctx, &r)
			c.page(ctx, r)
		})
		sel.AddReceive(c.wake, func(ch workflow.ReceiveChannel, _ bool) { ch.Receive(ctx, nil) })
		if wait, ok := c.nextDeadline(ctx); ok {
			sel.AddFuture(workflow.NewTimer(tctx, wait), func(workflow.Future) {})
		}
		sel.Select(ctx)
		cancel()
		handled++
	}
}

// control is the running state of a Control workflow.
type control struct {
	st         ControlState
	wake       workflow.Channel
	escalating int       // grouped escalations being delivered
	idleSince  time.Time // when it last became idle; zero while busy
}

// blocked says why no remediation may start now, or "".
func (c *control) blocked() string {
	if p := c.st.Paused; p != nil {
		return fmt.Sprintf("automation is paused (kill switch) by %s since %s: %s", p.By, p.At.UTC().Format(time.RFC3339), p.Reason)
	}
	if s := c.st.Storm; s != nil {
		return fmt.Sprintf("storm mode since %s (%d incidents, more than %d within %s): automation paused; see %s",
			s.Since.UTC().Format(time.RFC3339), s.Count, c.st.Settings.StormThreshold, c.st.Settings.StormWindow, s.ID)
	}
	return ""
}

func (c *control) idle(ctx workflow.Context) bool {
	return c.st.Paused == nil && c.st.Storm == nil && len(c.st.Holders) == 0 && len(c.st.Queue) == 0 &&
		len(c.st.Recent) == 0 && c.escalating == 0
}

// tick applies everything that time decides: expired leases, the storm
// window, the end of a storm, and queued requests that can now be answered.
func (c *control) tick(ctx workflow.Context) {
	now := workflow.Now(ctx)
	held := c.st.Holders[:0]
	for _, h := range c.st.Holders {
		lease := h.Request.Lease
		if lease <= 0 {
			lease = defaultSlotLease
		}
		if now.Before(h.Since.Add(lease)) {
			held = append(held, h)
			continue
		}
		workflow.GetLogger(ctx).Warn("remediation slot lease expired; releasing", "incident", h.Request.IncidentID)
	}
	c.st.Holders = held
	if w := c.st.Settings.StormWindow; w > 0 {
		i := 0
		for i < len(c.st.Recent) && now.Sub(c.st.Recent[i].At) >= w {
			i++
		}
		c.st.Recent = c.st.Recent[i:]
	} else {
		c.st.Recent = nil
	}
	if s := c.st.Storm; s != nil && !now.Before(s.LastOpened.Add(c.quiet())) {
		c.endStorm(ctx, fmt.Sprintf("quiet: no incident opened for %s", c.quiet()))
	}
	c.grant(ctx)
}

func (c *control) quiet() time.Duration {
	if q := c.st.Settings.StormQuiet; q > 0 {
		return q
	}
	if w := c.st.Settings.StormWindow; w > 0 {
		return w
	}
	return 10 * time.Minute
}

// nextDeadline is how long until tick has something to do.
func (c *control) nextDeadline(ctx workflow.Context) (time.Duration, bool) {
	now := workflow.Now(ctx)
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, h := range c.st.Holders {
		lease := h.Request.Lease
		if lease <= 0 {
			lease = defaultSlotLease
		}
		consider(h.Since.Add(lease))
	}
	if len(c.st.Recent) > 0 && c.st.Settings.StormWindow > 0 {
		consider(c.st.Recent[0].At.Add(c.st.Settings.StormWindow))
	}
	if s := c.st.Storm; s != nil {
		consider(s.LastOpened.Add(c.quiet()))
	}
	if next.IsZero() {
		if c.idle(ctx) && !c.idleSince.IsZero() {
			return max(c.idleSince.Add(controlIdleGrace).Sub(now), time.Millisecond), true // then end
		}
		return 0, false
	}
	return max(next.Sub(now), time.Millisecond), true
}

// opened counts a new incident and starts storm mode when the threshold is
// crossed.
func (c *control) opened(ctx workflow.Context, r OpenedReport) {
	c.st.Settings = r.Settings
	now := workflow.Now(ctx)
	for _, inc := range c.st.Recent {
		if inc.WorkflowID == r.WorkflowID && inc.RunID == r.RunID {
			return // a retried report
		}
	}
	inc := StormIncident{IncidentID: r.IncidentID, WorkflowID: r.WorkflowID, RunID: r.RunID, Runbook: r.Runbook, Summary: r.Summary, At: now}
	if c.st.Settings.StormWindow > 0 {
		c.st.Recent = append(c.st.Recent, inc)
	}
	if s := c.st.Storm; s != nil {
		s.LastOpened = now
		s.Count++
		if len(s.Incidents) < maxStormIncidents {
			s.Incidents = append(s.Incidents, inc)
		}
		c.tell(ctx, inc, s)
		return
	}
	th := c.st.Settings.StormThreshold
	if th <= 0 || len(c.st.Recent) <= th {
		return
	}
	s := &StormRecord{
		ID:         "storm/" + now.UTC().Format("20060102T150405Z"),
		Since:      now,
		LastOpened: now,
		Count:      len(c.st.Recent),
		Incidents:  append([]StormIncident(nil), c.st.Recent[max(0, len(c.st.Recent)-maxStormIncidents):]...),
	}
	c.st.Storm = s
	workflow.GetLogger(ctx).Warn("storm mode: automation paused", "storm", s.ID, "incidents", s.Count)
	// Stop everyone, the incidents that may be about to act first: holders
	// stop before their next action, waiting requests are refused, and the
	// incidents of the storm do not act or page on their own.
	c.revokeAll(ctx, c.blocked())
	c.refuseQueued(ctx)
	for _, i := range s.Incidents {
		c.tell(ctx, i, s)
	}
	c.escalateStorm(ctx, s, false)
}

// tell sends an incident its storm notice.
func (c *control) tell(ctx workflow.Context, inc StormIncident, s *StormRecord) {
	n := StormNotice{StormID: s.ID, Since: s.Since, Reason: c.blocked()}
	if err := workflow.SignalExternalWorkflow(ctx, inc.WorkflowID, inc.RunID, signalStorm, n).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Info("storm notice not delivered (incident closed)", "incident", inc.IncidentID, "err", err)
	}
}

func (c *control) endStorm(ctx workflow.Context, why string) {
	s := c.st.Storm
	if s == nil {
		return
	}
	s.Ended, s.EndedBy = workflow.Now(ctx), why
	c.st.Storm = nil
	c.st.PastStorms = append(c.st.PastStorms, *s)
	if n := len(c.st.PastStorms); n > maxPastStorms {
		c.st.PastStorms = c.st.PastStorms[n-maxPastStorms:]
	}
	workflow.GetLogger(ctx).Info("storm mode over", "storm", s.ID, "why", why)
	c.escalateStorm(ctx, s, true)
}

// page answers an incident asking whether it may page on its own. In a
// storm it is told it is part of it (again, if it already was) and the
// storm pages the incident's sinks it has not paged yet. Otherwise it may
// page once its hold since it opened is over: the Control workflow counts
// the incident's opening on its own clock, so no storm that begins after
// the answer can count it.
func (c *control) page(ctx workflow.Context, r PageRequest) {
	c.st.Settings = r.Settings
	now := workflow.Now(ctx)
	if s := c.st.Storm; s != nil {
		inc := StormIncident{IncidentID: r.IncidentID, WorkflowID: r.WorkflowID, RunID: r.RunID}
		c.tell(ctx, inc, s)
		if fresh := c.unpaged(s, r.Sinks); len(fresh) > 0 {
			s.Paged = append(s.Paged, fresh...)
			c.deliverStorm(ctx, s, c.stormEscalation(s, false), sinkSteps(fresh))
		}
		return
	}
	wait := time.Duration(0)
	for i := range c.st.Recent {
		inc := &c.st.Recent[i]
		if inc.WorkflowID != r.WorkflowID || inc.RunID != r.RunID {
			continue
		}
		inc.Sinks = r.Sinks
		if c.st.Settings.StormThreshold > 0 {
			wait = max(0, inc.At.Add(c.pageHold()).Sub(now))
		}
		break
	}
	c.answerPage(ctx, r, PageAnswer{Wait: wait})
}

// pageHold is how long an incident's own page waits after it opened.
func (c *control) pageHold() time.Duration {
	w := c.st.Settings.StormWindow
	if h := c.st.Settings.StormPageHold; h > 0 && h < w {
		return h
	}
	return w
}

func (c *control) answerPage(ctx workflow.Context, r PageRequest, a PageAnswer) {
	if err := workflow.SignalExternalWorkflow(ctx, r.WorkflowID, r.RunID, signalPageAnswer, a).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Info("page answer not delivered (incident closed)", "incident", r.IncidentID, "err", err)
	}
}

// unpaged are the sinks in sinks the storm has not escalated to yet.
func (c *control) unpaged(s *StormRecord, sinks []PageSink) []PageSink {
	set := c.st.Settings
	var out []PageSink
	for _, k := range sinks {
		switch {
		case k.Sink == "slack" && k.Channel == set.StormSlackChannel && set.StormSlackChannel != "":
		case k.Sink == "pagerduty" && set.StormPage && k.Service == set.StormPagerDutyService:
		case slices.Contains(s.Paged, k) || slices.Contains(out, k):
		default:
			out = append(out, k)
		}
	}
	return out
}

func sinkSteps(sinks []PageSink) []escalate.Step {
	steps := make([]escalate.Step, 0, len(sinks))
	for _, k := range sinks {
		st := escalate.Step{Sink: k.Sink, Channel: k.Channel, Service: k.Service}
		if k.Sink == "pagerduty" {
			st.Severity = "critical"
		}
		steps = append(steps, st)
	}
	return steps
}

// escalateStorm sends the storm's one grouped escalation (or, when ended,
// its all-clear) to the record sink, the configured Slack channel and
// PagerDuty service, and every sink its incidents would have paged, each
// in its own coroutine so a dead sink delays none.
func (c *control) escalateStorm(ctx workflow.Context, s *StormRecord, ended bool) {
	set := c.st.Settings
	if !ended {
		var sinks []PageSink
		for _, i := range s.Incidents {
			sinks = append(sinks, i.Sinks...)
		}
		s.Paged = append(s.Paged, c.unpaged(s, sinks)...)
	}
	steps := []escalate.Step{{Sink: escalate.RecordSinkName}}
	if set.StormSlackChannel != "" {
		steps = append(steps, escalate.Step{Sink: "slack", Channel: set.StormSlackChannel})
	}
	if set.StormPage && !ended {
		steps = append(steps, escalate.Step{Sink: "pagerduty", Service: set.StormPagerDutyService, Severity: "critical"})
	}
	var services []string
	if set.StormPage {
		services = append(services, set.StormPagerDutyService)
	}
	for _, st := range sinkSteps(s.Paged) {
		switch {
		case st.Sink != "pagerduty":
			steps = append(steps, st)
		case ended:
			services = append(services, st.Service)
		default:
			steps = append(steps, st)
		}
	}
	c.deliverStorm(ctx, s, c.stormEscalation(s, ended), steps)
	if ended && len(services) > 0 {
		c.escalating++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { c.escalating--; c.wake.SendAsync(struct{}{}) }()
			_ = workflow.ExecuteActivity(notifyOpts(ctx), esc.Resolve,
				escalate.ResolveInput{IncidentID: s.ID, Services: services}).Get(ctx, nil)
		})
	}
}

// stormEscalation is the storm's grouped escalation, or its all-clear.
func (c *control) stormEscalation(s *StormRecord, ended bool) escalate.Escalation {
	set := c.st.Settings
	rec := incident.State{
		IncidentID: s.ID,
		Runbook:    "storm",
		Phase:      incident.PhaseEscalating,
		Outcome:    incident.OutcomeEscalated,
		StartedAt:  s.Since,
	}
	ids := make([]string, 0, len(s.Incidents))
	runbookOf := make([]string, 0, len(s.Incidents))
	for _, i := range s.Incidents {
		ids = append(ids, i.IncidentID)
		runbookOf = append(runbookOf, i.Runbook)
		rec.Timeline = append(rec.Timeline, incident.Event{At: i.At, Kind: "incident", Message: fmt.Sprintf("%s (%s): %s", i.IncidentID, i.Runbook, i.Summary)})
	}
	// Counted from a sorted slice, not a map, so that no map is ranged
	// over in workflow code (workflowcheck refuses that even when the
	// result is sorted afterwards).
	sort.Strings(runbookOf)
	var names []string
	for j := 0; j < len(runbookOf); {
		k := j
		for k < len(runbookOf) && runbookOf[k] == runbookOf[j] {
			k++
		}
		names = append(names, fmt.Sprintf("%s×%d", runbookOf[j], k-j))
		j = k
	}
	listed := ids
	if len(listed) > 10 {
		listed = append(listed[:10:10], fmt.Sprintf("… (%d more in the timeline)", len(ids)-10))
	}
	reason := fmt.Sprintf("storm mode: %d incidents opened within %s (threshold %d); automation is paused and these incidents neither act nor page on their own. Runbooks: %s. Incidents: %s. A shared dependency is the likely cause. Automation resumes after %s without a new incident, or with `firebreak resume`.",
		s.Count, set.StormWindow, set.StormThreshold, strings.Join(names, ", "), strings.Join(listed, ", "), c.quiet())
	if ended {
		reason = fmt.Sprintf("storm %s over (%s); %d incidents were grouped; automation resumes", s.ID, s.EndedBy, s.Count)
		rec.Outcome = incident.OutcomeResolved
	}
	rec.Reason = reason
	e := escalate.Escalation{IncidentID: s.ID, Runbook: "storm", Reason: reason, Level: "error", Record: escalate.SummaryOf(rec)}
	if ended {
		e.Level = "info"
	}
	return e
}

// deliverStorm delivers e to each step, each in its own coroutine, and
// records how each went in the storm.
func (c *control) deliverStorm(ctx workflow.Context, s *StormRecord, e escalate.Escalation, steps []escalate.Step) {
	for _, step := range steps {
		c.escalating++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { c.escalating--; c.wake.SendAsync(struct{}{}) }()
			err := workflow.ExecuteActivity(notifyOpts(ctx), esc.Escalate, escalate.Input{Escalation: e, Step: step}).Get(ctx, nil)
			er := incident.EscalationRecord{Sink: step.Sink, Reason: e.Reason, At: workflow.Now(ctx), Attempts: 1, Delivered: err == nil}
			if err != nil {
				er.Error = errorMessage(err)
			}
			s.Escalation = append(s.Escalation, er)
		})
	}
}

// enqueue queues a slot request; grant answers it.
func (c *control) enqueue(ctx workflow.Context, r SlotRequest) {
	c.st.Settings = r.Settings
	for _, h := range c.st.Holders {
		if h.Request.IncidentID == r.IncidentID && h.Request.RunID == r.RunID {
			c.answer(ctx, r, Permit{Target: ControlTarget, Granted: true})
			return
		}
	}
	for _, q := range c.st.Queue {
		if q.IncidentID == r.IncidentID && q.RunID == r.RunID {
			return
		}
	}
	c.st.Queue = append(c.st.Queue, r)
	c.grant(ctx)
}

// grant answers queued requests: refused while blocked, granted while a
// slot is free, left waiting otherwise.
func (c *control) grant(ctx workflow.Context) {
	for len(c.st.Queue) > 0 {
		r := c.st.Queue[0]
		if why := c.blocked(); why != "" {
			c.st.Queue = c.st.Queue[1:]
			c.answer(ctx, r, Permit{Target: ControlTarget, Reason: why})
			continue
		}
		if max := c.st.Settings.MaxConcurrent; max > 0 && len(c.st.Holders) >= max {
			return
		}
		c.st.Queue = c.st.Queue[1:]
		if c.answer(ctx, r, Permit{Target: ControlTarget, Granted: true}) {
			c.st.Holders = append(c.st.Holders, SlotHolder{Request: r, Since: workflow.Now(ctx)})
		}
	}
}

func (c *control) refuseQueued(ctx workflow.Context) {
	why := c.blocked()
	for len(c.st.Queue) > 0 {
		r := c.st.Queue[0]
		c.st.Queue = c.st.Queue[1:]
		c.answer(ctx, r, Permit{Target: ControlTarget, Reason: why})
	}
}

// release frees an incident's slot, or drops its queued request.
func (c *control) release(incidentID string) {
	for i, h := range c.st.Holders {
		if h.Request.IncidentID == incidentID {
			c.st.Holders = append(c.st.Holders[:i:i], c.st.Holders[i+1:]...)
			return
		}
	}
	for i, q := range c.st.Queue {
		if q.IncidentID == incidentID {
			c.st.Queue = append(c.st.Queue[:i:i], c.st.Queue[i+1:]...)
			return
		}
	}
}

// revokeAll tells every slot holder to stop before its next action. Slots
// stay held until released, so the cap still counts them.
func (c *control) revokeAll(ctx workflow.Context, why string) {
	rv := Revoke{Reason: why}
	if s := c.st.Storm; s != nil {
		rv.Storm = &StormNotice{StormID: s.ID, Since: s.Since, Reason: why}
	}
	for _, h := range c.st.Holders {
		err := workflow.SignalExternalWorkflow(ctx, h.Request.WorkflowID, h.Request.RunID, signalRevoke, rv).Get(ctx, nil)
		if err != nil {
			workflow.GetLogger(ctx).Info("revoke not delivered (incident closed)", "incident", h.Request.IncidentID, "err", err)
		}
	}
}

func (c *control) answer(ctx workflow.Context, r SlotRequest, p Permit) bool {
	err := workflow.SignalExternalWorkflow(ctx, r.WorkflowID, r.RunID, signalPermit, p).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("slot answer not delivered", "incident", r.IncidentID, "err", err)
		return false
	}
	return true
}

// pause turns the kill switch on. It returns after every slot holder has
// the revoke in its history and every waiting request is refused, so that
// no remediation starts an action after pause returns.
func (c *control) pause(ctx workflow.Context, req PauseRequest) (ControlState, error) {
	if c.st.Paused == nil {
		c.st.Paused = &PauseRecord{By: req.By, Reason: req.Reason, At: workflow.Now(ctx)}
		workflow.GetLogger(ctx).Warn("automation paused", "by", req.By, "reason", req.Reason)
	} else if req.Reason != "" {
		c.st.Paused.Reason = req.Reason
	}
	c.revokeAll(ctx, c.blocked())
	c.refuseQueued(ctx)
	c.wake.SendAsync(struct{}{})
	return c.st, nil
}

// resume turns the kill switch off and ends storm mode.
func (c *control) resume(ctx workflow.Context, req ResumeRequest) (ControlState, error) {
	if c.st.Paused != nil {
		workflow.GetLogger(ctx).Info("automation resumed", "by", req.By)
	}
	c.st.Paused = nil
	if c.st.Storm != nil {
		c.endStorm(ctx, "resume by "+req.By)
	}
	c.wake.SendAsync(struct{}{})
	return c.st, nil
}
