# A misspelt diagnosis source is the one error, not also "Missing diagnosis
# source" (rule 1) nor a type error where diagnosis.errors is read (rule 4).
runbook "diagnose-misspelt-source" {
  match = ["alertname=\"X\""]
  diagnose "errors" {
    promethues { # ERROR: Unsupported block type
      query = "sum(rate(http_requests_total{code=~\"5..\"}[1m]))"
    }
  }
  escalate_when = diagnosis.errors.value > 100
}
