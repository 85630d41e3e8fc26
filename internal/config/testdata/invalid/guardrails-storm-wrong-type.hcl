guardrails {
  storm {
    incidents = "many" # ERROR col 18: Unsuitable value type
  }
}
