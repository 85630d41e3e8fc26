runbook "action-kube-rollback-statefulset" {
  match = ["alertname=\"X\""]
  target "db" {
    kind      = "StatefulSet"
    namespace = alert.labels.namespace
    name      = "postgres"
  }
  remediate "undo" {
    action "rollback" {
      kubernetes_rollback {
        target = target.db # ERROR: Wrong target kind
      }
    }
  }
}
