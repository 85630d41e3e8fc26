# Default runbook of `firebreak dev`: the checkout service's error rate.
#
# It answers HighErrorRate alerts (the acceptance fixture firing-single.json
# is one, for service="checkout") so that a freshly started `firebreak dev`
# has something to do with the first alert posted to it.
# It is safe without any external system:
#   - without Prometheus configured, the diagnoses fail and the incident
#     escalates (a log record) — the designed behaviour when firebreak cannot
#     see what is wrong;
#   - with Prometheus, dry_run = true means the pool change is planned and
#     recorded but never sent to PgBouncer.
# The metric names are the conventional ones (http_requests_total with a
# code label, a database-pool wait histogram); adapt them to your service.
runbook "checkout-errors" {
  description = "Checkout returns errors; if requests wait on the database pool, grow the PgBouncer pool (dry run)."
  owner       = "checkout"

  match    = ["alertname=\"HighErrorRate\""]
  group_by = ["alertname", "service"]

  # Share of requests that failed over the last 5 minutes.
  diagnose "error_ratio" {
    prometheus {
      query = "sum(rate(http_requests_total{service=\"${alert.labels.service}\",code=~\"5..\"}[5m])) / sum(rate(http_requests_total{service=\"${alert.labels.service}\"}[5m]))"
    }
  }

  # 90th percentile of the time requests wait for a database connection;
  # above a few tens of milliseconds the pool, not the database, is the
  # bottleneck.
  diagnose "pool_wait_p90" {
    prometheus {
      query = "histogram_quantile(0.9, sum by (le) (rate(db_pool_wait_seconds_bucket{service=\"${alert.labels.service}\"}[5m])))"
    }
  }

  # Errors without pool waits are not a pool problem: let people look.
  escalate_when = !diagnosis.pool_wait_p90.found

  remediate "grow_pool" {
    when = diagnosis.error_ratio.value > 0.05 && diagnosis.pool_wait_p90.value > 0.05

    # +50% of the current pool, never above 100 server connections.
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "${alert.labels.service}"
        set       = "+50%"
        max       = 100
      }
    }

    # Worked when under 1% of requests fail for two minutes, checked every
    # 15s, within ten minutes.
    verify {
      prometheus = "sum(rate(http_requests_total{service=\"${alert.labels.service}\",code=~\"5..\"}[1m])) / sum(rate(http_requests_total{service=\"${alert.labels.service}\"}[1m]))"
      below      = 0.01
      for        = "2m"
      within     = "10m"
      every      = "15s"
    }
  }

  escalate {
    log { level = "error" }
  }

  # dry_run: the dev default must never change a real PgBouncer. Turn it off
  # only in a copy of this runbook pointed at your own systems.
  guardrails {
    cooldown    = "30m"
    max_actions = 2
    window      = "2h"
    dry_run     = true
  }
}
