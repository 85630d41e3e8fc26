runbook "diagnose-no-source" {
  match = ["alertname=\"X\""]
  diagnose "a" { # ERROR: Missing diagnosis source
  }
}
