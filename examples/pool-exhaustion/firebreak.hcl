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
