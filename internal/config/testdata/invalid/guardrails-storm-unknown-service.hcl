pagerduty {
  routing_key = "default-routing-key-0000000000000"
  service "payments" {
    routing_key = "payments-routing-key-00000000000"
  }
}

guardrails {
  storm {
    pagerduty         = true
    pagerduty_service = "database" # ERROR col 25: Unknown PagerDuty service
  }
}
