runbook "unknown-alert-attribute" {
  match         = ["alertname=\"X\""]
  escalate_when = alert.severity == "critical" # ERROR: Unsupported alert attribute
}
