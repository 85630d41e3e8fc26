runbook "remediate-no-action" {
  match = ["alertname=\"X\""]
  remediate "nothing" { # ERROR: Missing action
  }
}
