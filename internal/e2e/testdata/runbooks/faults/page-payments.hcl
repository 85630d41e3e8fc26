# Escalation only: Slack at once, PagerDuty after 5 seconds unless someone
# acknowledges. The fault tests put Toxiproxy in front of both.
runbook "page-payments" {
  match         = ["alertname=\"PaymentsDown\""]
  group_by      = ["service"]
  slack_channel = "#payments-oncall"

  escalate_when = true

  escalate {
    slack {}
    pagerduty {
      service = "payments"
      after   = "5s"
    }
    log {}
  }
}
