runbook "diagnose-duplicate" {
  match = ["alertname=\"X\""]
  diagnose "waiting" {
    prometheus { query = "up" }
  }
  diagnose "waiting" { # ERROR: Duplicate diagnose block
    prometheus { query = "up" }
  }
}
