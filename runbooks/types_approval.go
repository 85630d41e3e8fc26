package runbooks

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Approval expiry behaviours.
const (
	OnExpiryEscalate = "escalate"
	OnExpiryProceed  = "proceed"
)

// Defaults of the approval block.
const (
	defaultApprovalExpires = 10 * time.Minute
	maxApprovalExpires     = 24 * time.Hour
)

// slackIDPattern matches Slack user (U…, W…) and user group (S…) IDs: the
// allowlist names people by ID, never by display name, which anyone can
// change.
var slackIDPattern = regexp.MustCompile(`^[UWS][A-Z0-9]{2,20}$`)

// Approval makes a remediation wait for people before it acts: the workflow
// pauses on a durable timer and asks the approvers (Slack buttons, or
// `firebreak approve`). Nothing mutates before the approval is granted.
type Approval struct {
	SlackChannel string        // where the Approve/Deny buttons go; default: the runbook's slack_channel
	Approvers    []string      // Slack user IDs (U…, W…) and user group IDs (S…)
	MinApprovals int           // approvals needed (quorum); default 1
	Expires      time.Duration // how long to wait; default 10m
	OnExpiry     string        // "escalate" (default) or "proceed"
	DeclRange    hcl.Range
}

// rawApproval is the approval block as written.
type rawApproval struct {
	SlackChannel      *string   `hcl:"slack_channel,optional"`
	Approvers         []string  `hcl:"approvers"`
	ApproversRange    hcl.Range `hcl:"approvers,attr_value_range"`
	MinApprovals      *int      `hcl:"min_approvals,optional"`
	MinApprovalsRange hcl.Range `hcl:"min_approvals,attr_value_range"`
	Expires           *string   `hcl:"expires,optional"`
	ExpiresRange      hcl.Range `hcl:"expires,attr_value_range"`
	OnExpiry          *string   `hcl:"on_expiry,optional"`
	OnExpiryRange     hcl.Range `hcl:"on_expiry,attr_value_range"`
}

func (p *parser) approval(block *hcl.Block) (*Approval, hcl.Diagnostics) {
	ctx := blockRange(block)
	var raw rawApproval
	if diags := gohcl.DecodeBody(block.Body, staticCtx, &raw); diags.HasErrors() {
		return nil, diags
	}
	a := &Approval{MinApprovals: 1, OnExpiry: OnExpiryEscalate, Approvers: raw.Approvers, DeclRange: block.DefRange}
	var diags, d hcl.Diagnostics
	if raw.SlackChannel != nil {
		a.SlackChannel = *raw.SlackChannel
		diags = append(diags, checkChannel(a.SlackChannel, block.DefRange, ctx)...)
	}
	if len(raw.Approvers) == 0 {
		diags = append(diags, newDiag("Missing approvers",
			"An approval needs at least one approver: Slack user IDs (U…) or user group IDs (S…).", raw.ApproversRange, ctx))
	}
	users, seen := 0, map[string]bool{}
	for _, id := range raw.Approvers {
		switch {
		case !slackIDPattern.MatchString(id):
			diags = append(diags, newDiag("Invalid approver",
				fmt.Sprintf("%q is not a Slack user ID (U…, W…) or user group ID (S…). Use IDs, not names: names can be changed by anyone.", id), raw.ApproversRange, ctx))
		case seen[id]:
			diags = append(diags, newDiag("Duplicate approver", fmt.Sprintf("%q is listed twice.", id), raw.ApproversRange, ctx))
		case id[0] != 'S':
			users++
		}
		seen[id] = true
	}
	if raw.MinApprovals != nil {
		a.MinApprovals = *raw.MinApprovals
		switch {
		case a.MinApprovals < 1:
			diags = append(diags, newDiag("Invalid min_approvals", "min_approvals must be at least 1.", raw.MinApprovalsRange, ctx))
		case users == len(raw.Approvers) && a.MinApprovals > users:
			diags = append(diags, newDiag("Unreachable quorum",
				fmt.Sprintf("min_approvals = %d but only %d approvers are listed.", a.MinApprovals, users), raw.MinApprovalsRange, ctx))
		}
	}
	a.Expires, d = optDuration(raw.Expires, defaultApprovalExpires, "expires", raw.ExpiresRange, ctx)
	diags = append(diags, d...)
	if d == nil && (a.Expires <= 0 || a.Expires > maxApprovalExpires) {
		diags = append(diags, newDiag("Invalid duration", "expires must be greater than 0 and at most 24h.", raw.ExpiresRange, ctx))
	}
	if raw.OnExpiry != nil {
		switch *raw.OnExpiry {
		case OnExpiryEscalate, OnExpiryProceed:
			a.OnExpiry = *raw.OnExpiry
		default:
			diags = append(diags, newDiag("Invalid on_expiry",
				fmt.Sprintf("on_expiry = %q; want %q or %q.", *raw.OnExpiry, OnExpiryEscalate, OnExpiryProceed), raw.OnExpiryRange, ctx))
		}
	}
	return a, diags
}

// slackChannelPattern matches a channel name (#name) or ID (C…, G…).
var slackChannelPattern = regexp.MustCompile(`^(#[a-z0-9][a-z0-9_-]{0,79}|[CG][A-Z0-9]{2,20})$`)

func checkChannel(ch string, subject, ctx hcl.Range) hcl.Diagnostics {
	if slackChannelPattern.MatchString(ch) {
		return nil
	}
	return hcl.Diagnostics{newDiag("Invalid Slack channel",
		fmt.Sprintf("%q is not a channel name (#lowercase-name) or ID (C…).", ch), subject, ctx)}
}
