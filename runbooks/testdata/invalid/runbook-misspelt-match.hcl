# A misspelt required argument is the one error, not also "Missing required
# argument" (rule 1).
runbook "runbook-misspelt-match" {
  mach = ["alertname=\"X\""] # ERROR: Unsupported argument
}
