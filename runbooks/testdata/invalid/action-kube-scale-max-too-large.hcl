runbook "action-kube-scale-max-too-large" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "checkout"
  }
  remediate "scale_out" {
    action "scale" {
      kubernetes_scale {
        target = target.app
        set    = "+50%"
        max    = 50000 # ERROR: Invalid max
      }
    }
  }
}
