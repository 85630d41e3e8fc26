runbook "diagnose-kube-nested-typo" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
  }
  escalate_when = diagnosis.rollout.rollout.revison > 3 # ERROR: Unsupported diagnosis attribute
}
