runbook "bad name!" { # ERROR: Invalid runbook name
  match = ["alertname=\"X\""]
}
