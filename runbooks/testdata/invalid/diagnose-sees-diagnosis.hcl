runbook "diagnose-sees-diagnosis" {
  match = ["alertname=\"X\""]
  diagnose "a" {
    prometheus { query = "up" }
  }
  diagnose "b" {
    prometheus {
      query = "up > ${diagnosis.a.value}" # ERROR: Diagnosis not available here
    }
  }
}
