# The Kubernetes example from docs/runbooks.md: targets, every Kubernetes
# action kind, a kubernetes_rollout diagnosis with classify, rollback on a
# failed verification and the busy policy.
runbook "checkout-errors" {
  description = "Checkout API 5xx ratio above SLO."
  owner       = "shop"

  match    = ["alertname=\"CheckoutHighErrorRate\"", "namespace=~\"shop|shop-staging\""]
  group_by = ["namespace", "service"]

  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = "${alert.labels.service}-api"
  }

  target "cache" {
    kind      = "StatefulSet"
    namespace = alert.labels.namespace
    name      = "redis"
  }

  target "cfg" {
    kind      = "ConfigMap"
    namespace = "shop"
    name      = "checkout-config"
  }

  diagnose "rollout" {
    kubernetes_rollout {
      target    = target.app
      log_lines = 200
      log_bytes = 65536
      since     = "15m"
    }
    classify = {
      connection_timeout = "(?i)(connection|dial) (timed out|timeout)"
      bad_config         = "(?i)invalid configuration"
    }
  }

  diagnose "cache" {
    kubernetes_rollout {
      target = target.cache
    }
  }

  diagnose "errors" {
    prometheus {
      query = "sum(rate(http_requests_total{service=\"${alert.labels.service}\",code=~\"5..\"}[1m]))"
    }
  }

  # Nothing to do when we cannot see the workload, or when it is a config
  # problem people must look at.
  escalate_when = !diagnosis.rollout.found || diagnosis.rollout.class == "bad_config"

  remediate "bad_deploy" {
    when = diagnosis.rollout.rollout.age < duration("30m") && diagnosis.rollout.pods.restarts > 3

    action "rollback" {
      kubernetes_rollback {
        target = target.app
        wait   = "5m"
      }
    }

    verify {
      prometheus = "sum(rate(http_requests_total{service=\"${alert.labels.service}\",code=~\"5..\"}[1m]))"
      below      = 0.01
      for        = "1m"
      within     = "5m"
      rollback   = true
    }
  }

  remediate "oom" {
    when = diagnosis.rollout.pods.termination_reasons["OOMKilled"] > 0 || diagnosis.cache.pods.waiting_reasons["CrashLoopBackOff"] > 0

    action "restart_cache" {
      kubernetes_restart {
        target = target.cache
      }
    }
    action "kick" {
      kubernetes_delete_pod {
        target = target.app
      }
    }
  }

  remediate "timeouts" {
    when = diagnosis.rollout.logs.matches["connection_timeout"] > 10

    action "pool" {
      kubernetes_set_env {
        target    = target.app
        container = "app"
        name      = "DB_POOL_SIZE"
        value     = "${diagnosis.rollout.rollout.desired * 10}"
        wait      = "5m"
      }
    }
    action "config" {
      kubernetes_patch_configmap {
        target = target.cfg
        key    = "pool_size"
        value  = "40"
      }
    }
    action "scale_out" {
      kubernetes_scale {
        target = target.app
        set    = "+50%"
        min    = 1
        max    = 24
        wait   = "5m"
      }
    }

    verify {
      prometheus = "sum(rate(http_requests_total{service=\"${alert.labels.service}\",code=~\"5..\"}[1m]))"
      below      = 0.01
      for        = "2m"
      within     = "10m"
      rollback   = true
    }
  }

  escalate {
    log { level = "warn" }
  }

  guardrails {
    cooldown     = "30m"
    max_actions  = 3
    on_busy      = "wait"
    busy_timeout = "5m"
  }
}
