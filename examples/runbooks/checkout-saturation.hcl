# Default runbook of `firebreak dev`: checkout's database pool is saturated.
#
# It answers PoolSaturated alerts (examples/alerts/pool-saturated.json is
# one, for service="checkout") and shows the approval path: the remediation
# waits until an operator approves it (`firebreak approve`, or a Slack button
# where Slack is configured). It is safe without any external system:
#   - nothing happens without a person's approval; that is why this runbook
#     is not a dry run (a dry run asks no approval: it changes nothing);
#   - its secret, `checkout_pgbouncer_admin`, exists nowhere by default, so an
#     approved action cannot reach any PgBouncer: it fails to read the pool
#     and the incident escalates with that reason (a runbook never acts on a
#     target it cannot see).
runbook "checkout-saturation" {
  description = "Checkout's database pool is saturated; with an operator's approval, grow the PgBouncer pool (dry run)."
  owner       = "checkout"

  match    = ["alertname=\"PoolSaturated\""]
  group_by = ["alertname", "service"]

  remediate "grow_pool" {
    # The alert itself is the evidence: it fires only when every server
    # connection of the pool has been busy for five minutes.
    when = alert.labels.severity == "page"

    approval {
      approvers = ["S0CHECKOUTONCALL"]
      expires   = "30m"
    }

    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("checkout_pgbouncer_admin")
        database  = "${alert.labels.service}"
        set       = "+50%"
        max       = 100
      }
    }
  }

  escalate {
    log { level = "error" }
  }

  guardrails {
    cooldown    = "30m"
    max_actions = 2
    window      = "2h"
    dry_run     = false
  }
}
