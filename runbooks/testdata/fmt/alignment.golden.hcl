runbook "fmt" {
  description = "misaligned"
  owner       = "payments"
  match       = ["alertname=\"X\""]
  diagnose "waiting" {
    prometheus {
      query = "up"
      range = "5m"
    }
  }
}
