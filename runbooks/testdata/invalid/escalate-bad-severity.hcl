runbook "escalate-bad-severity" {
  match = ["alertname=\"X\""]
  escalate {
    pagerduty {
      severity = "page" # ERROR: Invalid severity
    }
  }
}
