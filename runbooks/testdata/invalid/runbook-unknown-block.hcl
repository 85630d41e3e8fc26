runbook "unknown-block" {
  match = ["alertname=\"X\""]
  notify "slack" { # ERROR: Unsupported block type
  }
}
