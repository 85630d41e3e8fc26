runbook "diagnose-secret-in-query" {
  match = ["alertname=\"X\""]
  diagnose "a" {
    prometheus {
      query = "up{token=\"${secret("pgbouncer_admin")}\"}" # ERROR: secret() is not allowed here
    }
  }
}
