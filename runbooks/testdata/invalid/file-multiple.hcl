runbook "one" {
  match = ["alertname=\"One\""]
}

runbook "two" { # ERROR: Multiple runbook blocks
  match = ["alertname=\"Two\""]
}
