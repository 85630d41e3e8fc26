guardrails {
  storm {
    window = "2m"
    quiet  = "soon" # ERROR col 14: Invalid duration
  }
}
