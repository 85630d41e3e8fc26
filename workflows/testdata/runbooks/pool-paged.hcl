# A runbook that pages at once: escalate_when always holds, and the policy
# has one PagerDuty step. The escalation retry test points it at a
# PagerDuty that answers 503 to everything.
runbook "pool-paged" {
  match = ["alertname=\"DemoHighErrorRate\""]

  diagnose "timeouts" {
    prometheus {
      query = "sum(rate(demo_request_errors_total{service=\"${alert.labels.service}\",reason=\"connection_timeout\"}[10s]))"
    }
  }

  escalate_when = diagnosis.timeouts.found

  escalate {
    pagerduty {}
  }
}
