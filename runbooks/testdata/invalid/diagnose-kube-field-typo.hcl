runbook "diagnose-kube-field-typo" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
  }
  escalate_when = diagnosis.rollout.value > 0 # ERROR: Unsupported diagnosis attribute
}
