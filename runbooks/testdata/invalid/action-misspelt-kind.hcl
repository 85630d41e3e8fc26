# A misspelt action kind is the one error, not also "Missing action kind"
# (rule 1) or an unused target (rule 3).
runbook "action-misspelt-kind" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "scale" {
    action "out" {
      kubernetes_scael { # ERROR: Unsupported block type
        target = target.app
        set    = "+1"
        max    = 10
      }
    }
  }
}
