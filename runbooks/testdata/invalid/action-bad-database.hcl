runbook "action-bad-database" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo; SHUTDOWN" # ERROR: Invalid database name
        set       = "40"
      }
    }
  }
}
