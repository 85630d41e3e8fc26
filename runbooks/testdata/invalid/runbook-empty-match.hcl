runbook "empty-match" {
  match = [] # ERROR: Empty match
}
