runbook "number-out-of-range" {
  match = ["alertname=\"X\""]
  diagnose "ratio" {
    query = "sum(rate(errors[5m]))"
  }
  remediate "scale" {
    when = diagnosis.ratio.value > 1 / 3e999999 # ERROR: Number out of range
    scale {
      deployment = "api"
      by         = 1
    }
  }
}
