runbook "escalate-when-undefined" {
  match = ["alertname=\"X\""]
  diagnose "waiting" {
    prometheus { query = "up" }
  }
  escalate_when = diagnosis.nope.value > 1 # ERROR: Reference to undefined diagnosis
}
