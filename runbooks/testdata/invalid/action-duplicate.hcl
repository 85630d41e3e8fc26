runbook "action-duplicate" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
    action "grow" { # ERROR: Duplicate action block
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "50"
      }
    }
  }
}
