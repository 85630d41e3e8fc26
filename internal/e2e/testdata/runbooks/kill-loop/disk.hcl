# TestKillLoop: the other half of the storm. A diagnosis, then always an
# escalation to the record: incidents that never act, so the storm is
# larger than what the PgBouncer targets serialise.
runbook "kill-loop-disk" {
  match    = ["alertname=\"KillLoopDiskFull\""]
  group_by = ["service"]

  diagnose "usage" {
    prometheus {
      query = "vector(0.97)"
    }
  }

  escalate_when = diagnosis.usage.value > 0.9

  escalate {
    log { level = "warn" }
  }
}
