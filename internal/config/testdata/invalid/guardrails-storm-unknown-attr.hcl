guardrails {
  storm {
    threshold = 20 # ERROR col 5: Unsupported argument
  }
}
