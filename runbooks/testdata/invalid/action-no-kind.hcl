runbook "action-no-kind" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" { # ERROR: Missing action kind
    }
  }
}
