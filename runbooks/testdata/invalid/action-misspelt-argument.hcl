# A misspelt argument is the one error, not also "Missing required
# argument" (rule 1) or an unused target (rule 3).
runbook "action-misspelt-argument" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "scale" {
    action "out" {
      kubernetes_scale {
        target = target.app
        sett   = "+1" # ERROR: Unsupported argument
        max    = 10
      }
    }
  }
}
