runbook "unknown-attribute" {
  match    = ["alertname=\"X\""]
  severity = "critical" # ERROR: Unsupported argument
}
