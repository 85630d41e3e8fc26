package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Action IDs of the approval buttons; ParseInteraction accepts only these.
const (
	ActionApprove = "firebreak_approve"
	ActionDeny    = "firebreak_deny"
	// approvalBlockID names the actions block holding the buttons.
	approvalBlockID = "firebreak_approval"
)

// Outcomes an IncidentMessage shows with their own emoji; any other
// outcome (or none yet) shows the incident as ongoing.
const (
	OutcomeResolved  = "resolved"
	OutcomeEscalated = "escalated"
	OutcomeStopped   = "stopped"
)

// Decisions an Interaction or a Decision carries.
const (
	DecisionApprove = "approve"
	DecisionDeny    = "deny"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks),
// enforced here so that a long alert summary truncates instead of making
// Slack reject the whole message.
const (
	maxHeaderText  = 150
	maxSectionText = 3000
	maxFieldText   = 2000
	maxFields      = 10
	maxButtonValue = 2000
)

// IncidentMessage is what the incident's header message shows. It is a plain
// struct so the escalation code can fill it from its record without this
// package knowing about incidents.
type IncidentMessage struct {
	IncidentID   string   // the incident's workflow ID, shown so people can use firebreak approve/deny
	Runbook      string   // the runbook handling the incident
	Title        string   // the alert name or target, the header's text
	Severity     string   // the alert's severity label
	Summary      string   // the alert's summary annotation
	Phase        string   // the current phase, as the record names it
	Outcome      string   // the outcome once decided (OutcomeResolved, …)
	Reason       string   // why the outcome, or why the incident is waiting
	Diagnosis    []Field  // diagnosis highlights, in runbook order
	Actions      []string // one line per action taken, in order
	TimelineURL  string   // the incident's timeline (Temporal Web UI)
	GeneratorURL string   // the alert's source (Prometheus graph)
}

// Field is one labelled value of a message (a diagnosis result, say).
type Field struct {
	Name  string // the label, e.g. the diagnose block's name
	Value string // the value as people should read it
}

// ApprovalRequest asks people in the incident's thread to approve a
// remediation.
type ApprovalRequest struct {
	IncidentID   string    // the incident (workflow) the decision goes to
	ApprovalID   string    // which approval of the incident, so a stale click is recognisable
	Remediation  string    // the remediation awaiting approval
	Actions      []string  // what the remediation will do, one line each
	Approvers    []string  // allowed user (U…, W…) and user group (S…) IDs, shown as mentions
	MinApprovals int       // how many approvals are needed (quorum); < 1 means 1
	Expires      time.Time // when the approval expires and the runbook's expiry behaviour applies
}

// Decision is one person's decision on an approval, for ReplaceApproval.
type Decision struct {
	UserID   string    // the Slack user (or "cli:<operator>" for firebreak approve)
	UserName string    // shown when UserID is not a Slack user ID
	Decision string    // DecisionApprove or DecisionDeny
	At       time.Time // when the decision was recorded
}

// buttonValue is the JSON carried in an approval button's value, so a click
// names its incident and approval without any server-side state.
type buttonValue struct {
	IncidentID string `json:"incident_id"`
	ApprovalID string `json:"approval_id"`
}

// IncidentBlocks renders an incident's header message. Text from alerts is
// escaped, so a label cannot mention @channel or forge a link.
func IncidentBlocks(m IncidentMessage) []slack.Block {
	title := m.Title
	if title == "" {
		title = m.Runbook
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(statusEmoji(m) + " " + title)),
	}
	fields := []*slack.TextBlockObject{
		mrkdwnField("Runbook", m.Runbook),
		mrkdwnField("Severity", m.Severity),
		mrkdwnField("Phase", m.Phase),
	}
	if m.Outcome != "" {
		fields = append(fields, mrkdwnField("Outcome", m.Outcome))
	}
	fields = append(fields, mrkdwnField("Incident", m.IncidentID))
	var summary *slack.TextBlockObject
	if m.Summary != "" {
		summary = mrkdwn(truncate(escape(m.Summary), maxSectionText))
	}
	blocks = append(blocks, slack.NewSectionBlock(summary, fields, nil))
	if m.Reason != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(truncate("*Reason:* "+escape(m.Reason), maxSectionText))))
	}
	if len(m.Diagnosis) > 0 {
		var df []*slack.TextBlockObject
		for i, f := range m.Diagnosis {
			if i == maxFields {
				break
			}
			df = append(df, mrkdwnField(f.Name, f.Value))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*Diagnosis*"), df, nil))
	}
	if len(m.Actions) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(bullets("*Actions*", m.Actions)), nil, nil))
	}
	if links := linkLine(m.TimelineURL, m.GeneratorURL); links != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(links)))
	}
	return blocks
}

// ApprovalBlocks renders an approval request with Approve and Deny buttons
// whose values name the incident and approval.
func ApprovalBlocks(a ApprovalRequest) ([]slack.Block, error) {
	raw, err := json.Marshal(buttonValue{IncidentID: a.IncidentID, ApprovalID: a.ApprovalID})
	if err != nil {
		return nil, fmt.Errorf("approval blocks %s: %w", a.IncidentID, err)
	}
	if len(raw) > maxButtonValue {
		return nil, fmt.Errorf("approval blocks %s: button value is %d bytes, Slack allows %d", a.IncidentID, len(raw), maxButtonValue)
	}
	quorum := max(a.MinApprovals, 1)
	approve := slack.NewButtonBlockElement(ActionApprove, string(raw), plain("Approve"))
	approve.Style = slack.StylePrimary
	approve.Confirm = slack.NewConfirmationBlockObject(
		plain("Approve remediation?"),
		mrkdwn(truncate("firebreak will run *"+escape(a.Remediation)+"* on incident `"+escape(a.IncidentID)+"`.", 300)),
		plain("Approve"), plain("Cancel"))
	deny := slack.NewButtonBlockElement(ActionDeny, string(raw), plain("Deny"))
	deny.Style = slack.StyleDanger

	ctx := fmt.Sprintf("Approvers: %s · needs %d approval%s", mentions(a.Approvers), quorum, plural(quorum))
	if !a.Expires.IsZero() {
		ctx += " · expires " + slackDate(a.Expires)
	}
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(bullets("*Approval needed:* "+escape(a.Remediation), a.Actions)), nil, nil),
		slack.NewContextBlock("", mrkdwn(truncate(ctx, maxSectionText))),
		slack.NewActionBlock(approvalBlockID, approve, deny),
	}, nil
}

// DecisionBlocks renders an approval once decided: the buttons are gone and
// each decision says who decided what and when.
func DecisionBlocks(outcome string, by []Decision) []slack.Block {
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn("*Approval "+escape(outcome)+"*"), nil, nil),
	}
	var lines []string
	for _, d := range by {
		icon := ":white_check_mark:"
		verb := "approved"
		if d.Decision == DecisionDeny {
			icon, verb = ":no_entry:", "denied"
		}
		lines = append(lines, fmt.Sprintf("%s %s %s %s", icon, who(d), verb, slackDate(d.At)))
	}
	if len(lines) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(truncate(strings.Join(lines, "\n"), maxSectionText))))
	}
	return blocks
}

func statusEmoji(m IncidentMessage) string {
	switch m.Outcome {
	case OutcomeResolved:
		return ":white_check_mark:"
	case OutcomeEscalated:
		return ":rotating_light:"
	case OutcomeStopped:
		return ":octagonal_sign:"
	}
	return ":fire:"
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(s, maxHeaderText), true, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func mrkdwnField(name, value string) *slack.TextBlockObject {
	if value == "" {
		value = "–"
	}
	return mrkdwn(truncate("*"+escape(name)+"*\n"+escape(value), maxFieldText))
}

func bullets(head string, lines []string) string {
	var b strings.Builder
	b.WriteString(head)
	for _, l := range lines {
		b.WriteString("\n• ")
		b.WriteString(escape(l))
	}
	return truncate(b.String(), maxSectionText)
}

// escape makes text safe inside mrkdwn: Slack reads <…> as links and
// mentions, so alert text must not reach it raw.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// linkLine renders the timeline and alert links, skipping any that is not
// an absolute http(s) URL.
func linkLine(timeline, generator string) string {
	var parts []string
	if u := safeURL(timeline); u != "" {
		parts = append(parts, "<"+u+"|Timeline>")
	}
	if u := safeURL(generator); u != "" {
		parts = append(parts, "<"+u+"|Alert source>")
	}
	return strings.Join(parts, " · ")
}

func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20").Replace(u.String())
}

var slackIDRe = regexp.MustCompile(`^[UWS][A-Z0-9]{2,20}$`)

func mentions(ids []string) string {
	if len(ids) == 0 {
		return "anyone in the channel"
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		switch {
		case !slackIDRe.MatchString(id):
			out = append(out, "`"+escape(id)+"`")
		case id[0] == 'S':
			out = append(out, "<!subteam^"+id+">")
		default:
			out = append(out, "<@"+id+">")
		}
	}
	return strings.Join(out, ", ")
}

func who(d Decision) string {
	if slackIDRe.MatchString(d.UserID) && d.UserID[0] != 'S' {
		return "<@" + d.UserID + ">"
	}
	if d.UserName != "" {
		return escape(d.UserName)
	}
	return "`" + escape(d.UserID) + "`"
}

// slackDate renders t in each reader's time zone, with a UTC fallback for
// clients that cannot.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format(time.RFC3339))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
