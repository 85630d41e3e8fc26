guardrails {
  storm {
    incidents = 10
  }
  storm { # ERROR col 3: Duplicate storm block
    incidents = 30
  }
}
