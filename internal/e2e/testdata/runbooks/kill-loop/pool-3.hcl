# TestKillLoop: grow PgBouncer 3's pool by one for every alert group of
# pool p3. Each PgBouncer is its own target (its own admin secret), so the
# incidents of one pool take its permit one after another; with no
# cooldown and a large budget each of them acts once, and the pool ends at
# its start plus the number of incidents that applied: one application
# too many or too few shows in SHOW CONFIG. max = 10000 is far above what
# the test reaches, so nothing is clamped away.
runbook "kill-loop-pool-3" {
  match    = ["alertname=\"KillLoopPoolExhausted\"", "pool=\"p3\""]
  group_by = ["service"]

  diagnose "waiting" {
    prometheus {
      query = "vector(1)"
    }
  }

  escalate_when = diagnosis.waiting.error != ""

  remediate "grow_pool" {
    when = diagnosis.waiting.value > 0
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_3")
        database  = "demo"
        set       = "+1"
        max       = 10000
      }
    }
    verify {
      prometheus = "vector(0)"
      below      = 0.5
      for        = "2s"
      within     = "2m"
      every      = "1s"
    }
  }

  escalate {
    log { level = "warn" }
  }

  guardrails {
    cooldown     = "0s"
    max_actions  = 10000
    window       = "1h"
    on_busy      = "wait"
    busy_timeout = "24h"
  }
}
