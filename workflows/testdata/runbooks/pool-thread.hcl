# The pool runbook with a Slack thread: every timeline event that people
# should see is also a reply in the incident's thread. The verification is
# long (a check every second for four minutes): the activity input test
# repeats the alert every second meanwhile, so the thread, the timeline and
# the checks all grow long together.
runbook "pool-thread" {
  match         = ["alertname=\"DemoHighErrorRate\""]
  group_by      = ["service"]
  slack_channel = "#incidents"

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
      for        = "240s"
      within     = "300s"
      every      = "1s"
    }
  }
}
