runbook "syntax" {
  match = ["alertname=\"X\""]
  owner = = "payments" # ERROR: Invalid expression
}
