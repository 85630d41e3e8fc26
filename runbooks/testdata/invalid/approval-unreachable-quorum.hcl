runbook "approval-unreachable-quorum" {
  match = ["alertname=\"X\""]
  remediate "grow" {
    approval {
      approvers     = ["U024BE7LH"]
      min_approvals = 2 # ERROR: Unreachable quorum
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
