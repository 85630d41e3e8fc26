# TestKubeCrash: scale the alert's Deployment out by one replica. max = 10
# is far above what the test starts from, so an action applied twice would
# show as two replicas more instead of being clamped away.
runbook "kube-crash-scale" {
  match    = ["alertname=\"KubeCrashScale\""]
  group_by = ["namespace", "service"]

  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }

  remediate "scale_out" {
    action "scale" {
      kubernetes_scale {
        target = target.app
        set    = "+1"
        max    = 10
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
