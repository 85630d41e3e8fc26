runbook "spacing" {
  match         = ["alertname=\"X\"", "service=~\"a|b\""]
  escalate_when = diagnosis.a.value > 1 && alert.status == "firing"
  diagnose "a" {
    prometheus { query = "up" }
  }
}
