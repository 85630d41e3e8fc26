# The misspelt target block is the one error, not also the reference to it
# (rule 2).
runbook "runbook-misspelt-target" {
  match = ["alertname=\"X\""]
  taget "app" { # ERROR: Unsupported block type
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  remediate "restart" {
    action "restart" {
      kubernetes_restart { target = target.app }
    }
  }
}
