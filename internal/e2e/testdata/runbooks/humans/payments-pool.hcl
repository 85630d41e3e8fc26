# Humans in the loop: growing the payments pool needs an approval in the
# incident's Slack thread; when nobody answers, Slack and PagerDuty hear it.
runbook "payments-pool" {
  match         = ["alertname=\"PaymentsPoolExhausted\""]
  group_by      = ["service"]
  slack_channel = "#payments-oncall"

  remediate "grow_pool" {
    approval {
      approvers = ["U0ALLOWED", "S0ONCALL"]
      expires   = "20s"
    }
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "+500%"
        max       = 20
      }
    }
  }

  escalate {
    slack {}
    pagerduty {
      service = "payments"
    }
    log {}
  }

  guardrails {
    cooldown    = "0s"
    max_actions = 100
  }
}
