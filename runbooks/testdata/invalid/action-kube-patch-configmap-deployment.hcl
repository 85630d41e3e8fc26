runbook "action-kube-patch-configmap-deployment" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "tune" {
    action "pool" {
      kubernetes_patch_configmap {
        target = target.app # ERROR: Wrong target kind
        key    = "pool_size"
        value  = "40"
      }
    }
  }
}
