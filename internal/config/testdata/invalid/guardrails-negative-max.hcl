guardrails {
  max_concurrent_remediations = -1 # ERROR col 33: Invalid max_concurrent_remediations
}
