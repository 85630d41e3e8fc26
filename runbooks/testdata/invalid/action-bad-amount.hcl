runbook "action-bad-amount" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "50%" # ERROR: Invalid amount
      }
    }
  }
}
