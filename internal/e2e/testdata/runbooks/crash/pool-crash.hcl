# The pool-exhaustion runbook with a long verification (for = 20s), so the
# crash test can kill firebreak while the incident waits in it.
runbook "pool-crash" {
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
      for        = "20s"
      within     = "120s"
      every      = "1s"
    }
  }

  guardrails {
    cooldown    = "10m"
    max_actions = 2
    window      = "1h"
  }
}
