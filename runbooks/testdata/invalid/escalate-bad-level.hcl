runbook "escalate-bad-level" {
  match = ["alertname=\"X\""]
  escalate {
    log { level = "debug" } # ERROR: Invalid log level
  }
}
