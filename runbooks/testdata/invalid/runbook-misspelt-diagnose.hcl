# The misspelt diagnose block is the one error: neither the references to
# diagnosis.rollout (rule 2) nor target.app, used only by it (rule 3), are
# reported too.
runbook "runbook-misspelt-diagnose" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  diagnos "rollout" { # ERROR: Unsupported block type
    kubernetes_rollout { target = target.app }
  }
  escalate_when = !diagnosis.rollout.found
  remediate "wait" {
    when = diagnosis.rollout.pods.restarts > 3
    action "grow" {
      pgbouncer_pool_size {
        admin_dsn = secret("pgbouncer_admin")
        database  = "app"
        set       = "40"
      }
    }
  }
}
