runbook "approval-and-escalation-policy" {
  match         = ["alertname=\"PaymentAPIHighErrorRate\""]
  slack_channel = "#payments-oncall"

  remediate "grow_pool" {
    approval {
      approvers     = ["U024BE7LH", "S0614TZR7"]
      min_approvals = 2
      expires       = "10m"
      on_expiry     = "escalate"
    }
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "payments"
        set       = "+50%"
        max       = 400
      }
    }
  }

  escalate {
    slack {}
    pagerduty {
      service  = "payments"
      severity = "critical"
      after    = "10m"
    }
    log { level = "warn" }
  }
}
