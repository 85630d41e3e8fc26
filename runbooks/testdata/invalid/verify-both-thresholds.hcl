runbook "verify-both-thresholds" {
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
      above      = 0 # ERROR: Ambiguous verify threshold
      within     = "5m"
    }
  }
}
