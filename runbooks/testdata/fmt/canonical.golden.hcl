# Already canonical: fmt must leave it byte for byte.
runbook "canonical" {
  match = ["alertname=\"X\""]

  guardrails {
    cooldown    = "30m"
    max_actions = 3
  }
}
