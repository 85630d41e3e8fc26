# The pool-exhaustion scenario's runbook with a human in the loop: the same
# diagnosis and action, but growing the pool waits for an approval, given
# in Slack or with `firebreak approve INCIDENT_ID` (see ../README.md).
#
# The demo payment API fails requests that wait too long for a database
# connection. When its error rate pages, this runbook checks that the errors
# really are connection timeouts (requests queued behind PgBouncer's pool),
# grows PgBouncer's default_pool_size through the admin console by a bounded
# step, and watches the error ratio fall. Anything else goes to people.
#
# The diagnosis reads the demo's own metrics: Debian ships no
# pgbouncer_exporter, so PgBouncer's cl_waiting is not in Prometheus. The
# demo measures the same thing from the client side (connection_timeout
# errors, demo_db_acquire_wait_seconds, demo_db_waiting).
runbook "pool-exhaustion-approval" {
  description = "Payment requests time out waiting for a PgBouncer connection; grow the pool."
  owner       = "payments"

  match    = ["alertname=\"DemoHighErrorRate\""]
  group_by = ["service"]

  # Share of requests that failed over the last 10s: what paged, recorded in
  # the incident, and the quantity verify watches.
  diagnose "error_ratio" {
    prometheus {
      query = "sum(rate(demo_requests_total{service=\"${alert.labels.service}\",code!=\"200\"}[10s])) / sum(rate(demo_requests_total{service=\"${alert.labels.service}\"}[10s]))"
    }
  }

  # Failed requests per second, whatever the reason.
  diagnose "errors" {
    prometheus {
      query = "sum(rate(demo_requests_total{service=\"${alert.labels.service}\",code!=\"200\"}[10s]))"
    }
  }

  # Requests per second that gave up before PgBouncer assigned them a server
  # connection: the symptom a bigger pool cures.
  diagnose "timeouts" {
    prometheus {
      query = "sum(rate(demo_request_errors_total{service=\"${alert.labels.service}\",reason=\"connection_timeout\"}[10s]))"
    }
  }

  # How long requests wait for a server connection (90th percentile, seconds);
  # recorded so whoever reads the incident sees the queue, not only errors.
  diagnose "acquire_wait_p90" {
    prometheus {
      query = "histogram_quantile(0.9, sum by (le) (rate(demo_db_acquire_wait_seconds_bucket{service=\"${alert.labels.service}\"}[10s])))"
    }
  }

  # Not the failure this runbook knows how to fix: no timeout series at all
  # (the demo is not scraped, or is another service), or fewer than half of
  # the errors are connection timeouts (the database itself is failing, and a
  # bigger pool would only push more load onto it).
  escalate_when = !diagnosis.timeouts.found || diagnosis.timeouts.value < 0.5 * diagnosis.errors.value

  remediate "grow_pool" {
    when = diagnosis.timeouts.value > 0

    # Nothing changes until someone approves: the payments on-call user
    # group in Slack, or an operator with `firebreak approve`. Without an
    # answer within 10 minutes the incident escalates.
    approval {
      approvers = ["S0PAYMENTSONCALL"]
      expires   = "10m"
    }

    # +500% takes the scenario's pool of 2 to 12 in one step, enough for the
    # demo's load (about 8 busy server connections at 400 requests/s); a
    # second action, if the guardrails allow one, stops at max. Relative
    # amounts are resolved once from the size read before acting, so a
    # retried action never grows the pool twice.
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "demo"
        set       = "+500%"
        max       = 20
      }
    }

    # Resolved when fewer than 5% of requests fail for 5s in a row, checked
    # every second; after 90s without that, the remediation failed and the
    # incident escalates. PgBouncer opens the new server connections on
    # demand, so recovery takes a second or two plus the 10s rate window.
    verify {
      prometheus = "sum(rate(demo_requests_total{service=\"${alert.labels.service}\",code!=\"200\"}[10s])) / sum(rate(demo_requests_total{service=\"${alert.labels.service}\"}[10s]))"
      below      = 0.05
      for        = "5s"
      within     = "90s"
      every      = "1s"
    }
  }

  escalate {
    log { level = "error" }
  }

  # At most two pool changes per service per hour, ten minutes apart: if two
  # steps did not help, growing the pool is not the answer.
  guardrails {
    cooldown    = "10m"
    max_actions = 2
    window      = "1h"
    dry_run     = false
  }
}
