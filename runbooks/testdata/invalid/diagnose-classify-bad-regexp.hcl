runbook "diagnose-classify-bad-regexp" {
  match = ["alertname=\"X\""]
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }
  diagnose "rollout" {
    kubernetes_rollout { target = target.app }
    classify = {
      connection_timeout = "(?i)(connection|dial) (timed out|timeout)"
      bad_config         = "(?i)invalid (configuration" # ERROR: Invalid classify pattern
    }
  }
}
