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
  dry_run = true
  paused  = true
}

incidents {
  linger = "30m"
}
