# TestFailedVerificationRestores: a remediation that cannot work. The
# Deployment runs a bad image, and one more replica of it fails as often as
# the others, so verification fails and `rollback = true` restores the
# replica count the action read before it scaled.
runbook "kube-rollback-scale-out" {
  description = "Scale out on errors; restore the replica count if the errors stay."
  owner       = "e2e"

  match    = ["alertname=\"ServiceHighErrorRate\""]
  group_by = ["namespace", "service"]

  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }

  diagnose "rollout" {
    kubernetes_rollout {
      target = target.app
    }
  }

  diagnose "error_ratio" {
    prometheus {
      query = "sum(rate(http_requests_total{namespace=\"${alert.labels.namespace}\",service=\"${alert.labels.service}\",code=~\"5..\"}[10s])) / sum(rate(http_requests_total{namespace=\"${alert.labels.namespace}\",service=\"${alert.labels.service}\"}[10s]))"
    }
  }

  escalate_when = !diagnosis.rollout.found || !diagnosis.error_ratio.found

  remediate "scale_out" {
    when = diagnosis.error_ratio.value > 0.1

    action "scale" {
      kubernetes_scale {
        target = target.app
        set    = "+1"
        max    = 5
        wait   = "30s"
      }
    }

    verify {
      prometheus = "sum(rate(http_requests_total{namespace=\"${alert.labels.namespace}\",service=\"${alert.labels.service}\",code=~\"5..\"}[10s])) / sum(rate(http_requests_total{namespace=\"${alert.labels.namespace}\",service=\"${alert.labels.service}\"}[10s]))"
      below      = 0.02
      for        = "2s"
      within     = "15s"
      every      = "1s"
      rollback   = true
    }
  }

  escalate {
    log { level = "warn" }
  }

  guardrails {
    cooldown    = "10m"
    max_actions = 1
  }
}
