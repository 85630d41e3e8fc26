guardrails {
  storm {
    pagerduty = true # ERROR col 17: PagerDuty is not configured
  }
}
