# Engine configuration for the pool-exhaustion scenario, used by run.sh:
#   firebreak dev --config examples/pool-exhaustion/firebreak.hcl \
#                 --runbooks examples/pool-exhaustion/runbooks
# Everything not set here keeps its `firebreak dev` default (webhook on
# 127.0.0.1:9095, embedded Temporal on 127.0.0.1:7233, its UI on :8233).

# The scenario's Prometheus (prometheus/prometheus.yml), which scrapes the
# demo every second; the runbook's diagnoses and verify loop query it.
prometheus {
  url     = "http://127.0.0.1:19090"
  timeout = "5s"
}

# No secrets block: the runbook's secret("pgbouncer_admin") resolves from the
# environment variable FIREBREAK_SECRET_PGBOUNCER_ADMIN, which run.sh exports
# with the admin-console DSN of the PgBouncer it started. That keeps this file
# free of machine-specific paths. To use files instead, add
#   secrets { dir = "secrets" }   # relative to this file
# and put the DSN in secrets/pgbouncer_admin.

# The Temporal worker's memory and concurrency, at their defaults (see
# docs/configuration.md#worker). The sticky cache bounds the worker's memory,
# not the number of open incidents: measured with every incident lingering
# at its outcome, the worker held 237 MiB with 1,000 open and 272 MiB with
# 10,000 (docs/performance.md#memory-with-many-open-incidents). Raise the
# cache on a worker with memory to spare, to replay less after a storm.
worker {
  sticky_cache_size             = 1000
  max_concurrent_workflow_tasks = 100
  max_concurrent_activities     = 100
  workflow_pollers              = 4
  activity_pollers              = 4
}
