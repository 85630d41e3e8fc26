runbook "verify-within-less-than-for" {
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
      for        = "10m"
      within     = "5m" # ERROR: within is shorter than for
    }
  }
}
