# TestKubeCrash: roll the alert's Deployment back to its previous revision.
# A rollback applied twice would return to the bad revision (and advance
# the revision by two).
runbook "kube-crash-rollback" {
  match    = ["alertname=\"KubeCrashRollback\""]
  group_by = ["namespace", "service"]

  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }

  remediate "roll_back" {
    action "rollback" {
      kubernetes_rollback {
        target = target.app
      }
    }
  }

  escalate {
    log { level = "warn" }
  }

  guardrails {
    cooldown    = "0s"
    max_actions = 100
  }
}
