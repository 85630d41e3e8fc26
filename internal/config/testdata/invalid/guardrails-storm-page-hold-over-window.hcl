guardrails {
  storm {
    window    = "1m"
    page_hold = "2m" # ERROR col 17: Invalid page_hold
  }
}
