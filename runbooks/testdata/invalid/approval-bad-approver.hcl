runbook "approval-bad-approver" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    approval {
      approvers = ["alice"] # ERROR: Invalid approver
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
