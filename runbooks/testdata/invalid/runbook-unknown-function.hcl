runbook "unknown-function" {
  match         = ["alertname=\"X\""]
  escalate_when = uuid() == "" # ERROR: Call to unknown function
}
