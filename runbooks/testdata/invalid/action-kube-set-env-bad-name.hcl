runbook "action-kube-set-env-bad-name" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "tune" {
    action "pool" {
      kubernetes_set_env {
        target = target.app
        name   = "DB POOL" # ERROR: Invalid environment variable name
        value  = "40"
      }
    }
  }
}
