# A valid runbook with a warning whose context is the whole runbook: the
# snippet quotes the runbook's header and the target's, not the 20 lines
# between or after.
runbook "unused-target" {
  description = "Checkout errors."
  owner       = "shop"
  match       = ["alertname=\"CheckoutErrors\""]

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

  target "spare" {
    kind      = "Deployment"
    namespace = "shop"
    name      = "spare"
  }

  remediate "restart" {
    when = diagnosis.errors.value > 1

    action "restart" {
      kubernetes_restart { target = target.app }
    }
  }
}
