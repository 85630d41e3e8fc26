runbook "bad-matcher" {
  match = [
    "alertname=\"X\"",
    "service=~\"(unclosed\"", # ERROR: Invalid matcher
  ]
}
