package escalate

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/incident"
)

// fakeChat records what the activities asked of chat.
type fakeChat struct {
	headers   []Header
	replies   []string
	approvals [][]string
}

func (f *fakeChat) PostIncident(_ context.Context, channel string, h Header) (incident.SlackMessage, error) {
	f.headers = append(f.headers, h)
	return incident.SlackMessage{Channel: channel, TS: "1.1"}, nil
}

func (f *fakeChat) UpdateIncident(_ context.Context, _ incident.SlackMessage, h Header) error {
	f.headers = append(f.headers, h)
	return nil
}

func (f *fakeChat) PostThread(_ context.Context, _ incident.SlackMessage, text string) error {
	f.replies = append(f.replies, text)
	return nil
}

func (f *fakeChat) PostApproval(_ context.Context, _ incident.SlackMessage, _ string, _ incident.ApprovalRecord, actions []string) (incident.SlackMessage, error) {
	f.approvals = append(f.approvals, actions)
	return incident.SlackMessage{Channel: "C1", TS: "1.2"}, nil
}

func (f *fakeChat) CloseApproval(context.Context, incident.SlackMessage, incident.ApprovalRecord) error {
	return nil
}

func TestNotifyPostsHeaderThenReplies(t *testing.T) {
	f := &fakeChat{}
	a := &Activities{Threads: f, Approvals: f}
	h := HeaderOf(escalatedState(), "http://ui/x")
	msg, err := a.Notify(context.Background(), NotifyInput{Channel: "C1", Header: h, Text: "opened"})
	if err != nil || msg.TS != "1.1" {
		t.Fatalf("first notify: %v %+v", err, msg)
	}
	if _, err := a.Notify(context.Background(), NotifyInput{Channel: "C1", Thread: &msg, Header: h, Text: "escalated"}); err != nil {
		t.Fatal(err)
	}
	if len(f.headers) != 2 || f.headers[1].TimelineURL != "http://ui/x" || len(f.replies) != 2 {
		t.Fatalf("headers %+v, replies %v", f.headers, f.replies)
	}
	// No actions taken yet: the approval says which remediation it runs.
	if _, err := a.RequestApproval(context.Background(), ApprovalInput{Channel: "C1", Header: h,
		Approval: incident.ApprovalRecord{ID: "grow-1", Remediation: "grow_pool"}}); err != nil {
		t.Fatal(err)
	}
	if len(f.approvals) != 1 || f.approvals[0][0] != `run remediation "grow_pool"` || len(f.headers) != 3 {
		t.Fatalf("approval lines %v after %d headers", f.approvals, len(f.headers))
	}
}

// TestNotifyReadsPendingLegacyInput: a post scheduled before inputs were
// bounded carried the whole record; its header still shows.
func TestNotifyReadsPendingLegacyInput(t *testing.T) {
	legacy, err := json.Marshal(map[string]any{"Channel": "C1", "Thread": incident.SlackMessage{Channel: "C1", TS: "1.1"},
		"Record": escalatedState(), "Text": "closed: escalated"})
	if err != nil {
		t.Fatal(err)
	}
	var in NotifyInput
	if err := json.Unmarshal(legacy, &in); err != nil {
		t.Fatal(err)
	}
	f := &fakeChat{}
	if _, err := (&Activities{Threads: f}).Notify(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(f.headers) != 1 || f.headers[0].IncidentID != "pool-exhaustion/3f2a9c1e" || len(f.headers[0].Actions) != 2 {
		t.Fatalf("legacy header = %+v", f.headers)
	}
}

func TestNotConfiguredIsFinal(t *testing.T) {
	a := &Activities{}
	if _, err := a.Notify(context.Background(), NotifyInput{}); err == nil {
		t.Error("notify without chat succeeded")
	}
	if err := a.Escalate(context.Background(), Input{Step: Step{Sink: "slack"}}); err == nil {
		t.Error("slack step without chat succeeded")
	}
	if err := a.Escalate(context.Background(), Input{Step: Step{Sink: "pagerduty"}}); err == nil {
		t.Error("pagerduty step without a pager succeeded")
	}
}

func TestSlackStepPostsInTheThread(t *testing.T) {
	f := &fakeChat{}
	a := &Activities{Threads: f}
	e := Escalation{IncidentID: "x/1", Reason: "verification failed", Record: SummaryOf(escalatedState()), TimelineURL: "http://ui/x"}
	if err := a.Escalate(context.Background(), Input{Escalation: e, Step: Step{Sink: "slack", Channel: "C1"}}); err != nil {
		t.Fatal(err)
	}
	thread := &incident.SlackMessage{Channel: "C1", TS: "1.1"}
	if err := a.Escalate(context.Background(), Input{Escalation: e, Step: Step{Sink: "slack", Channel: "C1", Thread: thread}}); err != nil {
		t.Fatal(err)
	}
	if len(f.headers) != 2 || f.headers[0].TimelineURL != "http://ui/x" || len(f.replies) != 1 || f.replies[0] != "Escalated: verification failed" {
		t.Fatalf("headers %+v, replies %v", f.headers, f.replies)
	}
}
