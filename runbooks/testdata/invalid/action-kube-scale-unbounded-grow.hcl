runbook "action-kube-scale-unbounded-grow" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "scale_out" {
    action "scale" {
      kubernetes_scale {
        target = target.app
        set    = "+50%" # ERROR: Unbounded relative action
        min    = 1
      }
    }
  }
}
