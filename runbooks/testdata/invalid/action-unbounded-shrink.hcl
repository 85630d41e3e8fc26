runbook "action-unbounded-shrink" {
  match = ["alertname=\"X\""]
  remediate "shrink" {
    action "shrink" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "-5"     # ERROR: Unbounded relative action
        max       = 100
      }
    }
  }
}
