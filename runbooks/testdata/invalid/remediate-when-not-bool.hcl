runbook "remediate-when-not-bool" {
  match = ["alertname=\"X\""]
  diagnose "waiting" {
    prometheus { query = "up" }
  }
  remediate "grow" {
    when = diagnosis.waiting.series # ERROR: Invalid when value
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
  }
}
