# The complete example from docs/runbooks.md.
runbook "pool-exhaustion" {
  description = "Clients wait for PgBouncer connections and the API returns 500s."
  owner       = "payments"

  match    = ["alertname=\"DemoHighErrorRate\"", "service=~\"demo|api\""]
  group_by = ["service", "db"]

  diagnose "waiting" {
    prometheus {
      query = "max(pgbouncer_pools_client_waiting_connections{database=\"${alert.labels.db}\"})"
    }
  }

  diagnose "errors" {
    prometheus {
      query = "sum(rate(demo_requests_total{code=\"500\",service=\"${alert.labels.service}\"}[1m]))"
      range = "5m"
      step  = "30s"
    }
  }

  escalate_when = diagnosis.waiting.error != "" || diagnosis.errors.value > 1000

  remediate "grow_pool" {
    when = diagnosis.waiting.value > 0

    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "${alert.labels.db}"
        set       = "+50%"
        max       = 400
        min       = 1
      }
    }

    verify {
      prometheus = "sum(rate(demo_requests_total{code=\"500\",service=\"${alert.labels.service}\"}[10s]))"
      below      = 0.05
      for        = "2m"
      within     = "5m"
      every      = "15s"
    }
  }

  remediate "reset" {
    action "absolute" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "40"
      }
    }
  }

  escalate {
    log { level = "warn" }
  }

  guardrails {
    cooldown    = "30m"
    max_actions = 2
    window      = "2h"
    dry_run     = true
  }
}
