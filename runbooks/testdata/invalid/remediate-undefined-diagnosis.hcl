runbook "remediate-undefined-diagnosis" {
  match = ["alertname=\"X\""]
  diagnose "waiting" {
    prometheus { query = "up" }
  }
  remediate "grow" {
    when = diagnosis.waitng.value > 0 # ERROR: Reference to undefined diagnosis
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
  }
}
