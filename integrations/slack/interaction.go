package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/slack-go/slack"
)

// MaxInteractionBytes bounds an interaction request body. Slack includes the
// clicked message in the payload, so it is larger than the click itself, but
// a firebreak approval message is far below this.
const MaxInteractionBytes = 256 << 10

// maxIDLen bounds the incident and approval IDs a button may carry.
const maxIDLen = 512

// ErrNotApproval is wrapped by ParseInteraction when the payload is a valid
// Slack interaction but not a click on a firebreak approval button (another
// interaction type, a link button, another app's action).
var ErrNotApproval = errors.New("not a firebreak approval action")

// ErrMalformed is wrapped by ParseInteraction when the payload cannot be
// read as a Slack interaction at all.
var ErrMalformed = errors.New("malformed slack interaction")

// Interaction is one verified click on an approval button.
type Interaction struct {
	UserID      string // the clicker's Slack user ID, checked against the approvers
	UserName    string // the clicker's user name, for records
	TeamID      string // the workspace the click came from
	ActionID    string // ActionApprove or ActionDeny
	Decision    string // DecisionApprove or DecisionDeny
	IncidentID  string // from the button's value: the incident to signal
	ApprovalID  string // from the button's value: which approval of that incident
	Channel     string // where the approval message is
	MessageTS   string // the approval message, to replace its buttons
	ResponseURL string // where to answer the clicker (HTTP interactions only)
}

var (
	userIDRe = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	// printableRe accepts the characters IDs, channels and timestamps use.
	printableRe = regexp.MustCompile(`^[\x21-\x7e]*$`)
)

// ParseInteraction reads a block_actions interaction from an
// application/x-www-form-urlencoded body with a payload field, as Slack
// posts it to the interactivity request URL. Anything but one click on a
// firebreak approval button is refused.
func ParseInteraction(body []byte) (Interaction, error) {
	if len(body) > MaxInteractionBytes {
		return Interaction{}, fmt.Errorf("parse slack interaction: body is %d bytes, limit %d: %w", len(body), MaxInteractionBytes, ErrMalformed)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Interaction{}, fmt.Errorf("parse slack interaction: form: %w", ErrMalformed)
	}
	payload := form.Get("payload")
	if payload == "" {
		return Interaction{}, fmt.Errorf("parse slack interaction: no payload field: %w", ErrMalformed)
	}
	var cb slack.InteractionCallback
	dec := json.NewDecoder(bytes.NewReader([]byte(payload)))
	if err := dec.Decode(&cb); err != nil {
		return Interaction{}, fmt.Errorf("parse slack interaction: payload json: %w", ErrMalformed)
	}
	return fromCallback(cb)
}

// fromCallback validates a decoded interaction (from HTTP or Socket Mode).
func fromCallback(cb slack.InteractionCallback) (Interaction, error) {
	const op = "parse slack interaction"
	if cb.Type != slack.InteractionTypeBlockActions {
		return Interaction{}, fmt.Errorf("%s: type %.40q: %w", op, string(cb.Type), ErrNotApproval)
	}
	acts := cb.ActionCallback.BlockActions
	if len(acts) != 1 || acts[0] == nil {
		return Interaction{}, fmt.Errorf("%s: %d actions, want exactly 1: %w", op, len(acts), ErrNotApproval)
	}
	act := acts[0]
	in := Interaction{
		UserID:      cb.User.ID,
		UserName:    cb.User.Name,
		TeamID:      cb.Team.ID,
		ActionID:    act.ActionID,
		Channel:     cb.Channel.ID,
		MessageTS:   cb.Container.MessageTs,
		ResponseURL: cb.ResponseURL,
	}
	if in.Channel == "" {
		in.Channel = cb.Container.ChannelID
	}
	if in.MessageTS == "" {
		in.MessageTS = cb.Message.Timestamp
	}
	if in.UserName == "" {
		in.UserName = cb.User.Profile.DisplayName
	}
	switch act.ActionID {
	case ActionApprove:
		in.Decision = DecisionApprove
	case ActionDeny:
		in.Decision = DecisionDeny
	default:
		return Interaction{}, fmt.Errorf("%s: action_id %.64q: %w", op, act.ActionID, ErrNotApproval)
	}
	if !userIDRe.MatchString(in.UserID) {
		return Interaction{}, fmt.Errorf("%s: user id %.32q: %w", op, in.UserID, ErrMalformed)
	}
	var v buttonValue
	if len(act.Value) > maxButtonValue {
		return Interaction{}, fmt.Errorf("%s: button value is %d bytes: %w", op, len(act.Value), ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(act.Value)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return Interaction{}, fmt.Errorf("%s: button value: %w", op, ErrMalformed)
	}
	in.IncidentID, in.ApprovalID = v.IncidentID, v.ApprovalID
	for _, f := range []struct{ name, val string }{
		{"incident_id", in.IncidentID}, {"approval_id", in.ApprovalID},
	} {
		if f.val == "" || len(f.val) > maxIDLen || !printableRe.MatchString(f.val) {
			return Interaction{}, fmt.Errorf("%s: %s %.64q: %w", op, f.name, f.val, ErrMalformed)
		}
	}
	for _, f := range []struct{ name, val string }{
		{"user name", in.UserName}, {"team", in.TeamID}, {"channel", in.Channel}, {"message ts", in.MessageTS},
	} {
		if len(f.val) > maxIDLen || (f.name != "user name" && !printableRe.MatchString(f.val)) {
			return Interaction{}, fmt.Errorf("%s: %s: %w", op, f.name, ErrMalformed)
		}
	}
	if len(in.ResponseURL) > 2048 {
		return Interaction{}, fmt.Errorf("%s: response_url too long: %w", op, ErrMalformed)
	}
	return in, nil
}
