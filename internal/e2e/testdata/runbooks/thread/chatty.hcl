# Escalates at once into its Slack thread and stays open: every repeat of
# the alert is a timeline event and a reply in the thread. The history
# growth test repeats it hundreds of times.
runbook "chatty" {
  match         = ["alertname=\"ChattyAlert\""]
  group_by      = ["service"]
  slack_channel = "#chatty"

  escalate_when = true

  escalate {
    slack {}
    log {}
  }
}
