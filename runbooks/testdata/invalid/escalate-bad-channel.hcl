runbook "escalate-bad-channel" {
  match = ["alertname=\"X\""]
  escalate {
    slack {
      channel = "Payments Team" # ERROR: Invalid Slack channel
    }
  }
}
