runbook "verify-no-threshold" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
    verify { # ERROR: Missing verify threshold
      prometheus = "up"
      within     = "5m"
    }
  }
}
