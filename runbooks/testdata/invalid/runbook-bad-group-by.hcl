runbook "bad-group-by" {
  match    = ["alertname=\"X\""]
  group_by = ["service", "my-label"] # ERROR: Invalid group_by label
}
