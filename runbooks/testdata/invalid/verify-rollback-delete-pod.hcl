runbook "verify-rollback-delete-pod" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "kick" {
    action "restart" {
      kubernetes_restart { target = target.app }
    }
    action "kill" {
      kubernetes_delete_pod { target = target.app }
    }
    verify {
      prometheus = "up"
      above      = 0
      within     = "5m"
      rollback   = true # ERROR: Rollback impossible
    }
  }
}
