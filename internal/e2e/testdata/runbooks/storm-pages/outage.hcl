# Pages at once: every incident escalates to PagerDuty and into Slack as
# soon as it opens. In a storm none may page on its own; the storm pages
# each of these sinks once.
runbook "outage" {
  match         = ["alertname=\"ServiceDown\""]
  group_by      = ["service"]
  slack_channel = "#outage"

  escalate_when = true

  escalate {
    pagerduty {}
    slack {}
    log {}
  }
}
