pagerduty {
  service "payments" {
    routing_key = "payments-routing-key-00000000000"
  }
}

guardrails {
  storm {
    pagerduty_service = "payments" # ERROR col 25: Storm does not page
  }
}
