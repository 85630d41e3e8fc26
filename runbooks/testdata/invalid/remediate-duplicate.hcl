runbook "remediate-duplicate" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
  }
  remediate "grow" { # ERROR: Duplicate remediate block
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
  }
}
