runbook "action-missing-admin-dsn" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size { # ERROR: Missing required argument
        database = "demo"
        set      = "40"
      }
    }
  }
}
