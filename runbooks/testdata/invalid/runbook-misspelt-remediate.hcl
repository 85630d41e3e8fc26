# A misspelt block type is the one error: target.app, used only inside it,
# is not also reported as an unused target (consequential.go, rule 3).
runbook "runbook-misspelt-remediate" {
  match = ["alertname=\"WebDown\""]

  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }

  diagnose "errors" {
    prometheus {
      query = "sum(rate(http_requests_total{code=~\"5..\"}[1m]))"
    }
  }

  remediaton "scale" { # ERROR: Unsupported block type
    when = diagnosis.errors.value > 1

    action "out" {
      kubernetes_scale {
        target = target.app
        set    = "+1"
        max    = 10
      }
    }
  }
}
