# A misspelt action block is the one error, not also "Missing action"
# (rule 1) or an unused target (rule 3).
runbook "remediate-misspelt-action" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "scale" {
    acton "out" { # ERROR: Unsupported block type
      kubernetes_scale {
        target = target.app
        set    = "+1"
        max    = 10
      }
    }
  }
}
