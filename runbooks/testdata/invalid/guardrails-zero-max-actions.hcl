runbook "guardrails-zero-max-actions" {
  match = ["alertname=\"X\""]
  guardrails {
    max_actions = 0 # ERROR: Invalid max_actions
  }
}
