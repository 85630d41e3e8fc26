runbook "action-kube-undefined-target" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  target "cfg" {
    kind      = "ConfigMap"
    namespace = alert.labels.namespace
    name      = "settings"
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
  }
  remediate "restart" {
    action "restart" {
      kubernetes_restart {
        target = target.ap # ERROR: Reference to undefined target
      }
    }
    action "tune" {
      kubernetes_patch_configmap {
        target = target.cfg
        key    = "pool_size"
        value  = "40"
      }
    }
  }
}
