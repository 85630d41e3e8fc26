package escalate

import (
	"context"
	"fmt"
	"sort"

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
	st := e.Record
	if severity == "" {
		severity = pagerduty.SeverityFromAlert(st.Alert.Labels)
	}
	summary := fmt.Sprintf("[firebreak] %s: %s", st.Alert.Labels["alertname"], e.Reason)
	var links []pagerduty.Link
	if e.TimelineURL != "" {
		links = append(links, pagerduty.Link{Href: e.TimelineURL, Text: "Incident timeline (Temporal)"})
	}
	if st.Alert.GeneratorURL != "" {
		links = append(links, pagerduty.Link{Href: st.Alert.GeneratorURL, Text: "Alert source"})
	}
	return c.Trigger(ctx, pagerduty.Event{
		DedupKey:      e.IncidentID,
		Summary:       summary,
		Severity:      severity,
		Source:        source(st.Alert.Labels),
		Component:     st.Alert.Labels["service"],
		Group:         st.Alert.Labels["namespace"],
		Class:         st.Alert.Labels["alertname"],
		CustomDetails: details(e),
		Links:         links,
		Timestamp:     st.Alert.StartsAt,
	})
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

func source(labels map[string]string) string {
	for _, k := range []string{"instance", "service", "job"} {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return "firebreak"
}

// details is what the person paged gets: everything the incident collected.
func details(e Escalation) map[string]any {
	st := e.Record
	labels := make([]string, 0, len(st.Alert.Labels))
	for k, v := range st.Alert.Labels {
		labels = append(labels, k+"="+v)
	}
	sort.Strings(labels)
	d := map[string]any{
		"incident_id":  e.IncidentID,
		"runbook":      e.Runbook,
		"reason":       e.Reason,
		"alert_labels": labels,
		"summary":      st.Alert.Annotations["summary"],
		"diagnosis":    st.Diagnosis,
		"remediation":  st.Remediation,
		"actions":      st.Actions,
		"verification": st.Verification,
		"checks":       st.Checks,
	}
	if st.Approval != nil {
		d["approval"] = st.Approval
	}
	return d
}
