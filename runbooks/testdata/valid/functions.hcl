runbook "functions" {
  match = ["alertname=\"Functions\""]

  diagnose "age" {
    prometheus {
      query = "time() - max(deploy_timestamp_seconds{app=\"${lower(alert.labels.app)}\"})"
    }
  }

  escalate_when = alert.status != "firing" || contains(["critical", "page"], coalesce(alert.labels.severity, "none"))

  remediate "shrink" {
    when = diagnosis.age.found && diagnosis.age.value < duration("30m") && length(diagnosis.age.series) > 0

    action "shrink" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "${replace(alert.labels.db, "-", "_")}"
        set       = "-20%"
        min       = 5
      }
    }

    verify {
      prometheus = "max(up{job=\"${alert.labels.job}\"})"
      above      = 0
      within     = "1m"
    }
  }
}
