runbook "action-admin-dsn-literal" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = "postgres://admin:hunter2@pgbouncer:6432/pgbouncer" # ERROR: admin_dsn must be a secret() call
        database  = "demo"
        set       = "40"
      }
    }
  }
}
