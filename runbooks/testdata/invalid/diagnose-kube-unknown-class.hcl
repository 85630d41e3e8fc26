runbook "diagnose-kube-unknown-class" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
    classify = {
      timeout = "(?i)timed out"
    }
  }
  escalate_when = diagnosis.rollout.logs.matches["timeouts"] > 0 # ERROR: Unknown class
}
