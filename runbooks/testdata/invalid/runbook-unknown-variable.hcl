runbook "unknown-variable" {
  match         = ["alertname=\"X\""]
  escalate_when = target.app == "x" # ERROR: Unknown variable
}
