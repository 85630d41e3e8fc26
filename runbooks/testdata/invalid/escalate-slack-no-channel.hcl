runbook "escalate-slack-no-channel" {
  match = ["alertname=\"X\""]
  escalate {
    slack {} # ERROR: Missing Slack channel
  }
}
