runbook "target-kind-case" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "deployment" # ERROR: Invalid target kind
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "restart" {
    action "restart" {
      kubernetes_restart { target = target.app }
    }
  }
}
