runbook "verify-bad-duration" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
    verify {
      prometheus = "up"
      below      = 1
      within     = "5 min" # ERROR: Invalid duration
    }
  }
}
