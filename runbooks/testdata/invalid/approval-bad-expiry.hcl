runbook "approval-bad-expiry" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    approval {
      approvers = ["U024BE7LH"]
      on_expiry = "approve" # ERROR: Invalid on_expiry
    }
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
  }
}
