runbook "missing-match" { # ERROR: Missing required argument
  description = "no match"
}
