temporal {
  address    = "temporal.internal:7233"
  namespace  = "ops"
  task_queue = "firebreak-prod"
}

server {
  listen         = ":9095"
  token_file     = "secrets/webhook-token"
  max_body_bytes = 262144
}

prometheus {
  url     = "https://prometheus.internal:9090/"
  timeout = "5s"
}

secrets {
  dir        = "secrets"
  env_prefix = "FB_"
}

guardrails {
  dry_run                     = true
  paused                      = true
  max_concurrent_remediations = 4

  storm {
    incidents         = 12
    window            = "2m"
    quiet             = "15m"
    page_hold         = "1m"
    slack_channel     = "#incidents"
    pagerduty         = true
    pagerduty_service = "platform"
  }
}

kubernetes {
  kubeconfig = "../kubeconfig"
  context    = "prod"
  qps        = 7.5
  burst      = 15
}

slack {
  bot_token      = "xoxb-full-config-bot"
  signing_secret = "full-config-signing-secret"
}

pagerduty {
  routing_key = "default-routing-key-0000000000000"
  service "platform" {
    routing_key = "platform-routing-key-00000000000"
  }
}

incidents {
  linger = "30m"
}

worker {
  sticky_cache_size             = 250
  max_concurrent_workflow_tasks = 50
  max_concurrent_activities     = 20
  workflow_pollers              = 3
  activity_pollers              = 2
}
