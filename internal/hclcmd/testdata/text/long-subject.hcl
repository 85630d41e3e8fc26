# A subject of many lines is quoted by its first lines.
runbook "long-subject" {
  match = ["alertname=\"X\""]
  escalate_when = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
  ]
}
