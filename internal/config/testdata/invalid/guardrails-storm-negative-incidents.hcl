guardrails {
  storm {
    incidents = -5 # ERROR col 17: Invalid incidents
  }
}
