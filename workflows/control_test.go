package workflows

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/escalate"
)

// controlEnv runs the Control workflow in the test environment, recording
// every signal it sends to incidents and every escalation it delivers.
type controlEnv struct {
	*testsuite.TestWorkflowEnvironment
	t           *testing.T
	permits     map[string][]Permit // by incident workflow ID
	revokes     map[string]int
	storms      map[string]int
	pageAnswers map[string][]PageAnswer
	escalations []escalate.Input
}

func newControlEnv(t *testing.T) *controlEnv {
	var s testsuite.WorkflowTestSuite
	c := &controlEnv{TestWorkflowEnvironment: s.NewTestWorkflowEnvironment(), t: t,
		permits: map[string][]Permit{}, revokes: map[string]int{}, storms: map[string]int{}, pageAnswers: map[string][]PageAnswer{}}
	c.RegisterWorkflowWithOptions(Control, workflow.RegisterOptions{Name: ControlWorkflowName})
	c.RegisterActivity(&escalate.Activities{})
	c.OnActivity("Escalate", mock.Anything, mock.Anything).Return(func(_ context.Context, in escalate.Input) error {
		c.escalations = append(c.escalations, in)
		return nil
	}).Maybe()
	c.OnActivity("Resolve", mock.Anything, mock.Anything).Return(nil).Maybe()
	c.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, _, signal string, arg interface{}) error {
			switch signal {
			case signalPermit:
				c.permits[workflowID] = append(c.permits[workflowID], arg.(Permit))
			case signalRevoke:
				c.revokes[workflowID]++
			case signalStorm:
				c.storms[workflowID]++
			case signalPageAnswer:
				c.pageAnswers[workflowID] = append(c.pageAnswers[workflowID], arg.(PageAnswer))
			}
			return nil
		})
	return c
}

func (c *controlEnv) at(d time.Duration, f func()) { c.RegisterDelayedCallback(f, d) }

func (c *controlEnv) opened(id string, set ControlSettings) func() {
	return func() {
		c.SignalWorkflow(signalOpened, OpenedReport{IncidentID: id, WorkflowID: id, RunID: "r", Runbook: "rb", Summary: "service=" + id, Settings: set})
	}
}

func (c *controlEnv) acquire(id string, set ControlSettings) func() {
	return func() {
		c.SignalWorkflow(signalSlotAcquire, SlotRequest{IncidentID: id, WorkflowID: id, RunID: "r", Runbook: "rb", Lease: time.Hour, Settings: set})
	}
}

func (c *controlEnv) release(id string) func() {
	return func() { c.SignalWorkflow(signalSlotRelease, id) }
}

func (c *controlEnv) run() {
	c.t.Helper()
	c.ExecuteWorkflow(ControlWorkflowName, ControlInput{}, (*ControlState)(nil))
	if !c.IsWorkflowCompleted() {
		c.t.Fatal("the control workflow did not end once idle")
	}
	if err := c.GetWorkflowError(); err != nil {
		c.t.Fatal(err)
	}
}

// TestControlStorm: more than the threshold of incidents within the window
// starts storm mode: every incident of the window is told, exactly one
// grouped escalation goes to each configured sink, slot requests are
// refused, and the storm ends after the quiet period.
func TestControlStorm(t *testing.T) {
	c := newControlEnv(t)
	set := ControlSettings{StormThreshold: 3, StormWindow: time.Minute, StormQuiet: 2 * time.Minute, StormSlackChannel: "#incidents"}
	for i, id := range []string{"a", "b", "c", "d", "e", "f"} {
		c.at(time.Duration(i+1)*time.Second, c.opened(id, set))
	}
	c.at(3500*time.Millisecond, c.acquire("c", set)) // before the storm: granted
	c.at(3600*time.Millisecond, c.release("c"))
	c.at(10*time.Second, c.acquire("e", set))               // during: refused
	c.at(2*time.Minute+30*time.Second, c.acquire("g", set)) // after the quiet period: granted
	c.at(2*time.Minute+31*time.Second, c.release("g"))
	var during ControlState
	c.at(20*time.Second, func() {
		v, err := c.QueryWorkflow(QueryControl)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&during); err != nil {
			t.Fatal(err)
		}
	})
	c.run()

	if during.Storm == nil || during.Storm.Count != 6 || len(during.Storm.Incidents) != 6 {
		t.Fatalf("storm during = %+v, want one storm of 6 incidents", during.Storm)
	}
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		if c.storms[id] != 1 {
			t.Errorf("incident %s got %d storm notices, want 1", id, c.storms[id])
		}
	}
	var start, end []string
	for _, e := range c.escalations {
		if strings.Contains(e.Escalation.Reason, "over") {
			end = append(end, e.Step.Sink)
		} else {
			start = append(start, e.Step.Sink)
		}
	}
	sort.Strings(start) // activities run concurrently
	sort.Strings(end)
	if strings.Join(start, ",") != "log,slack" || strings.Join(end, ",") != "log,slack" {
		t.Fatalf("grouped escalations: start %v, end %v; want exactly one per sink (log, slack) each", start, end)
	}
	if !strings.Contains(c.escalations[0].Escalation.Reason, "4 incidents opened within 1m0s (threshold 3)") {
		t.Fatalf("grouped escalation reason %q does not count the incidents", c.escalations[0].Escalation.Reason)
	}
	if got := c.permits["c"]; len(got) != 1 || !got[0].Granted {
		t.Fatalf("c (before the storm) got %+v, want granted", got)
	}
	if got := c.permits["e"]; len(got) != 1 || got[0].Granted || !strings.Contains(got[0].Reason, "storm mode") {
		t.Fatalf("e (during the storm) got %+v, want refused for storm mode", got)
	}
	if got := c.permits["g"]; len(got) != 1 || !got[0].Granted {
		t.Fatalf("g (after the storm) got %+v, want granted", got)
	}
}

// TestControlPageHold: an incident asking to page is told to wait until
// page_hold has passed since the Control workflow counted it, then may
// page; in a storm it is told it is part of it, and the storm pages each
// sink its incidents would have paged once, besides the configured ones.
func TestControlPageHold(t *testing.T) {
	c := newControlEnv(t)
	set := ControlSettings{StormThreshold: 2, StormWindow: time.Minute, StormQuiet: time.Minute, StormPageHold: 20 * time.Second, StormSlackChannel: "#ops"}
	pd := PageSink{Sink: "pagerduty"}
	ask := func(id string, sinks ...PageSink) func() {
		return func() {
			c.SignalWorkflow(signalPage, PageRequest{IncidentID: id, WorkflowID: id, RunID: "r", Sinks: sinks, Settings: set})
		}
	}
	c.at(time.Second, c.opened("a", set))
	c.at(2*time.Second, ask("a", pd, PageSink{Sink: "slack", Channel: "#ops"}))
	c.at(25*time.Second, ask("a", pd)) // hold over: page
	c.at(30*time.Second, c.opened("b", set))
	c.at(31*time.Second, ask("b", pd))
	c.at(32*time.Second, c.opened("c", set)) // the third within the window: storm
	c.at(33*time.Second, ask("c", pd, PageSink{Sink: "slack", Channel: "#team"}))
	c.run()

	a := c.pageAnswers["a"]
	if len(a) != 2 || a[0].Wait != 19*time.Second || a[1].Wait != 0 {
		t.Fatalf("a's answers %+v, want wait 19s (20s hold from 1s, asked at 2s), then page", a)
	}
	if b := c.pageAnswers["b"]; len(b) != 1 || b[0].Wait != 19*time.Second {
		t.Fatalf("b's answers %+v, want wait 19s", b)
	}
	if len(c.pageAnswers["c"]) != 0 || c.storms["c"] < 1 || c.storms["b"] != 1 {
		t.Fatalf("c got answers %+v and %d storm notices, b %d; want the storm notice only", c.pageAnswers["c"], c.storms["c"], c.storms["b"])
	}
	var start []string
	for _, e := range c.escalations {
		if !strings.Contains(e.Escalation.Reason, "over") {
			start = append(start, e.Step.Sink+e.Step.Channel)
		}
	}
	sort.Strings(start)
	if strings.Join(start, ",") != "log,pagerduty,slack#ops,slack#team" {
		t.Fatalf("the storm escalated to %v; want the record, #ops (configured), and once each the PagerDuty and #team its incidents would have paged", start)
	}
}

// TestControlPauseAndCap: the cap queues requests beyond it; pause revokes
// holders and refuses the queue at once; resume lets new requests through.
func TestControlPauseAndCap(t *testing.T) {
	c := newControlEnv(t)
	set := ControlSettings{MaxConcurrent: 1}
	c.at(time.Second, c.acquire("a", set))   // granted
	c.at(2*time.Second, c.acquire("b", set)) // waits: cap 1
	c.at(3*time.Second, c.release("a"))      // b granted
	c.at(4*time.Second, c.acquire("c", set)) // waits behind b
	var paused ControlState
	c.at(5*time.Second, func() {
		c.UpdateWorkflow(UpdatePause, "p1", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { t.Errorf("pause rejected: %v", err) },
			OnComplete: func(v interface{}, err error) {
				if err != nil {
					t.Errorf("pause failed: %v", err)
					return
				}
				paused = v.(ControlState)
			},
		}, PauseRequest{By: "alice", Reason: "db migration"})
	})
	c.at(6*time.Second, func() {
		c.UpdateWorkflow(UpdatePause, "p2", &testsuite.TestUpdateCallback{
			OnAccept:   func() { t.Error("a pause without a name was accepted") },
			OnReject:   func(error) {},
			OnComplete: func(interface{}, error) {},
		}, PauseRequest{})
	})
	c.at(7*time.Second, c.acquire("d", set)) // paused: refused
	c.at(8*time.Second, c.release("b"))
	c.at(9*time.Second, func() {
		c.UpdateWorkflow(UpdateResume, "r1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("resume rejected: %v", err) }, OnComplete: func(interface{}, error) {},
		}, ResumeRequest{By: "alice"})
	})
	c.at(10*time.Second, c.acquire("e", set)) // resumed: granted
	c.at(11*time.Second, c.release("e"))
	c.run()

	if paused.Paused == nil || paused.Paused.By != "alice" || paused.Paused.Reason != "db migration" {
		t.Fatalf("state after pause = %+v", paused.Paused)
	}
	want := map[string]bool{"a": true, "b": true, "c": false, "d": false, "e": true}
	for id, granted := range want {
		got := c.permits[id]
		if len(got) != 1 || got[0].Granted != granted {
			t.Errorf("%s got %+v, want one answer granted=%t", id, got, granted)
		}
		if !granted && !strings.Contains(got[0].Reason, "paused (kill switch) by alice") {
			t.Errorf("%s refused with %q, want the pause named", id, got[0].Reason)
		}
	}
	if c.revokes["b"] != 1 || c.revokes["a"] != 0 {
		t.Fatalf("revokes = %v, want exactly the holder b told once", c.revokes)
	}
}
