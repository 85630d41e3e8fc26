runbook "diagnose-classify-prometheus" {
  match = ["alertname=\"X\""]
  diagnose "errors" {
    prometheus {
      query = "sum(rate(http_requests_total{code=~\"5..\"}[1m]))"
    }
    classify = { # ERROR: classify without kubernetes_rollout
      timeout = "(?i)timed out"
    }
  }
}
