runbook "target-hostile-namespace" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = "../kube-system" # ERROR: Invalid target namespace
    name      = alert.labels.service
  }
  remediate "restart" {
    action "restart" {
      kubernetes_restart { target = target.app }
    }
  }
}
