runbook "unknown-variable" {
  match         = ["alertname=\"X\""]
  escalate_when = incident.id == "x" # ERROR: Unknown variable
}
