runbook "remediate-when-target" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "restart" {
    when = target.app.name == "checkout" # ERROR: Target reference not allowed here
    action "restart" {
      kubernetes_restart { target = target.app }
    }
  }
}
