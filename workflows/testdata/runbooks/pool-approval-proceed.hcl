# The workflow tests' pool runbook with an approval (quorum of two): timings short
# enough for virtual time, the same shape as examples/pool-exhaustion.
runbook "pool-approval-proceed" {
  match    = ["alertname=\"DemoHighErrorRate\""]
  group_by = ["service"]

  diagnose "error_ratio" {
    prometheus {
      query = "sum(rate(demo_requests_total{service=\"${alert.labels.service}\",code!=\"200\"}[10s])) / sum(rate(demo_requests_total{service=\"${alert.labels.service}\"}[10s]))"
    }
  }
  diagnose "timeouts" {
    prometheus {
      query = "sum(rate(demo_request_errors_total{service=\"${alert.labels.service}\",reason=\"connection_timeout\"}[10s]))"
    }
  }

  escalate_when = !diagnosis.timeouts.found

  remediate "grow_pool" {
    when = diagnosis.timeouts.value > 0
    approval {
      approvers     = ["U0ALICE", "U0BOB", "S0ONCALL"]
      min_approvals = 1
      on_expiry     = "proceed"
      expires       = "10m"
    }
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "+500%"
        max       = 20
      }
    }
    verify {
      prometheus = "sum(rate(demo_requests_total{service=\"${alert.labels.service}\",code!=\"200\"}[10s])) / sum(rate(demo_requests_total{service=\"${alert.labels.service}\"}[10s]))"
      below      = 0.05
      for        = "5s"
      within     = "60s"
      every      = "1s"
    }
  }

  guardrails {
    cooldown    = "10m"
    max_actions = 2
    window      = "1h"
  }
}
