package escalate

import (
	"context"
	"fmt"
	"strings"

	"github.com/firebreak-dev/firebreak/integrations/pagerduty"
)

// PagerDutyPager is the Pager of PagerDuty's Events API v2: one client per
// routing key, chosen by the runbook's pagerduty { service = "…" }.
type PagerDutyPager struct {
	// Default serves steps that name no service.
	Default *pagerduty.Client
	// Services are per-service clients, by the names firebreak.hcl gives them.
	Services map[string]*pagerduty.Client
}

var _ Pager = (*PagerDutyPager)(nil)

func (p *PagerDutyPager) client(service string) (*pagerduty.Client, error) {
	if service == "" {
		if p.Default == nil {
			return nil, fmt.Errorf("no default pagerduty routing_key is configured")
		}
		return p.Default, nil
	}
	c, ok := p.Services[service]
	if !ok {
		return nil, fmt.Errorf("pagerduty service %q is not configured in firebreak.hcl", service)
	}
	return c, nil
}

// Trigger implements Pager: the incident ID is the dedup key, so a retried
// step, or a later escalation of the same incident, updates one PagerDuty
// incident instead of opening another.
func (p *PagerDutyPager) Trigger(ctx context.Context, service, severity string, e Escalation) error {
	c, err := p.client(service)
	if err != nil {
		return notConfiguredErr(err)
	}
	ev := EventOf(e)
	if severity != "" {
		ev.Severity = severity
	}
	return c.Trigger(ctx, ev)
}

// Resolve implements Pager.
func (p *PagerDutyPager) Resolve(ctx context.Context, service, incidentID string) error {
	c, err := p.client(service)
	if err != nil {
		return notConfiguredErr(err)
	}
	return c.Resolve(ctx, incidentID)
}

func notConfiguredErr(err error) error {
	return notConfigured("pagerduty ("+err.Error()+")", ErrTypePagerNotConfigured)
}

// EventOf is the PagerDuty trigger for an escalation, so the person paged
// gets everything firebreak learned: the diagnosis, each action with its
// before and after values, and the verification evidence (the latest
// MaxChecks checks), with links to the timeline and the alert.
func EventOf(e Escalation) pagerduty.Event {
	s := e.Record
	alertname := s.Alert.Labels["alertname"]
	summary := s.Alert.Annotations["summary"]
	if summary == "" {
		summary = alertname
	}
	reason := e.Reason
	if reason == "" {
		reason = s.Reason
	}
	if reason != "" {
		summary = strings.TrimSpace(summary + ": " + reason)
	}
	source := s.Alert.Labels["instance"]
	if source == "" {
		source = s.Alert.Labels["job"]
	}
	details := map[string]any{
		"incident_id": s.IncidentID,
		"runbook":     s.Runbook,
		"phase":       s.Phase,
		"labels":      s.Alert.Labels,
	}
	if reason != "" {
		details["reason"] = reason
	}
	if len(s.Diagnosis) > 0 {
		details["diagnosis"] = s.Diagnosis
	}
	if len(s.Actions) > 0 {
		details["actions"] = s.Actions
	}
	if len(s.Checks) > 0 {
		details["checks"] = s.Checks
	}
	if n := s.ChecksTotal - len(s.Checks); n > 0 {
		details["checks_omitted"] = fmt.Sprintf("%d earlier checks; see the incident timeline", n)
	}
	if s.Verification != "" {
		details["verification"] = s.Verification
	}
	if s.Remediation != "" {
		details["remediation"] = s.Remediation
	}
	if s.Approval != nil {
		details["approval"] = s.Approval
	}
	ev := pagerduty.Event{
		DedupKey:      s.IncidentID,
		Summary:       summary,
		Severity:      pagerduty.SeverityFromAlert(s.Alert.Labels),
		Source:        source,
		Component:     s.Alert.Labels["service"],
		Group:         s.Alert.Labels["namespace"],
		Class:         alertname,
		CustomDetails: details,
		Timestamp:     s.Alert.StartsAt,
	}
	if e.TimelineURL != "" {
		ev.Links = append(ev.Links, pagerduty.Link{Href: e.TimelineURL, Text: "firebreak timeline"})
	}
	if s.Alert.GeneratorURL != "" {
		ev.Links = append(ev.Links, pagerduty.Link{Href: s.Alert.GeneratorURL, Text: "Alert source"})
	}
	return ev
}
