runbook "minimal" {
  match = ["{alertname=\"Minimal\", severity!=\"info\"}"]
}
