# The pool-exhaustion runbook with a max the load needs more than: the pool
# grows 2 -> 3, the error ratio stays high, verification fails and the
# incident escalates with everything it collected.
runbook "pool-too-small" {
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
        max       = 3
      }
    }
    verify {
      prometheus = "sum(rate(demo_requests_total{service=\"${alert.labels.service}\",code!=\"200\"}[10s])) / sum(rate(demo_requests_total{service=\"${alert.labels.service}\"}[10s]))"
      below      = 0.05
      for        = "5s"
      within     = "20s"
      every      = "1s"
    }
  }

  guardrails {
    cooldown    = "10m"
    max_actions = 2
    window      = "1h"
  }
}
