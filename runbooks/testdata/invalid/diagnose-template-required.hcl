runbook "diagnose-template-required" {
  match = ["alertname=\"X\""]
  diagnose "a" {
    prometheus {
      query = format("up{job=\"%s\"}", alert.labels.job) # ERROR: Template required
    }
  }
}
