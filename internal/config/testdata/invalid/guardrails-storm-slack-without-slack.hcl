guardrails {
  storm {
    slack_channel = "#incidents" # ERROR col 21: Slack is not configured
  }
}
