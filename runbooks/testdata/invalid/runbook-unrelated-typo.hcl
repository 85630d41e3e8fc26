# An unsupported block explains only references to its own label: the
# undefined diagnosis here is a mistake of its own and still reported.
runbook "runbook-unrelated-typo" {
  match = ["alertname=\"X\""]
  diagnose "waiting" {
    prometheus { query = "max(pgbouncer_pools_client_waiting_connections)" }
  }
  notify "waitng" { # ERROR: Unsupported block type
  }
  escalate_when = diagnosis.nope.value > 0 # ERROR: Reference to undefined diagnosis
}
