runbook "action-kube-scale-unbounded-shrink" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "StatefulSet"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "scale_in" {
    action "scale" {
      kubernetes_scale {
        target = target.app
        set    = "-2" # ERROR: Unbounded relative action
        max    = 24
      }
    }
  }
}
