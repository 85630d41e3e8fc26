runbook "action-missing-database" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size { # ERROR: Missing required argument
        admin_dsn = secret("pgbouncer_admin")
        set       = "40"
      }
    }
  }
}
