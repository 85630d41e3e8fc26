server {
  listen = ":9095"
}

pagerduty {
  routing_key = "default-routing-key-0000000000000"
}

guardrails {
  dry_run = true

  storm {
    incidents         = 12
    window            = "2m"
    pagerduty         = true
    pagerduty_service = "db"
  }
}
