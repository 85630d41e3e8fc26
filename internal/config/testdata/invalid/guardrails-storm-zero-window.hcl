guardrails {
  storm {
    window = "0s" # ERROR col 14: Invalid duration
  }
}
