runbook "guardrails-bad-on-busy" {
  match = ["alertname=\"X\""]
  guardrails {
    on_busy = "queue" # ERROR: Invalid on_busy
  }
}
