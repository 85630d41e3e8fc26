package escalate

import (
	"context"
	"fmt"

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
	ev := pagerduty.EventFromState(e.Record, e.Reason, e.TimelineURL)
	if severity != "" {
		ev.Severity = severity
	}
	if e.Record.Remediation != "" {
		ev.CustomDetails["remediation"] = e.Record.Remediation
	}
	if e.Record.Approval != nil {
		ev.CustomDetails["approval"] = e.Record.Approval
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
