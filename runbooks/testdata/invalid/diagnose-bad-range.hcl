runbook "diagnose-bad-range" {
  match = ["alertname=\"X\""]
  diagnose "a" {
    prometheus {
      query = "up"
      range = "5 minutes" # ERROR: Invalid duration
    }
  }
}
