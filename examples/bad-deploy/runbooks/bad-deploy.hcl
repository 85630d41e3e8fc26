# The bad-deploy scenario's runbook (see ../README.md).
#
# A service's error ratio pages. If the service's Deployment rolled out a
# new revision within the last 30 minutes and the errors are high, the new
# revision is the prime suspect: roll the Deployment back to the pod
# template of its previous revision, wait for that rollout, and watch the
# error ratio fall. Anything else goes to people.
#
# The diagnosis also classifies the pods' recent log lines. In a real
# cluster that is what tells "the new code is broken" (roll back) from "a
# dependency is down" or "the configuration is wrong" (a rollback would not
# help: escalate). Under kwok, which the scenario runs on, pods have no
# containers and no logs, so the class is always "unknown" and the decision
# rests on the rollout's age and the Prometheus error ratio.
runbook "bad-deploy" {
  description = "A service's 5xx ratio pages shortly after a rollout; roll the Deployment back."
  owner       = "shop"

  match    = ["alertname=\"ServiceHighErrorRate\""]
  group_by = ["namespace", "service"]

  # The alert names the namespace and the service; the service's Deployment
  # has the service's name. A label value that is not a valid Kubernetes
  # name (`../kube-system`, `a;b`, empty) is refused before any API call,
  # and the incident escalates.
  target "app" {
    kind      = "Deployment"
    namespace = alert.labels.namespace
    name      = alert.labels.service
  }

  # The workload: its current revision and how long ago it rolled out, its
  # images, its pods, recent Events, and the tail of its pods' logs.
  diagnose "rollout" {
    kubernetes_rollout {
      target    = target.app
      log_lines = 200
      since     = "15m"
    }
    classify = {
      dependency = "(?i)(connection refused|no such host|i/o timeout|upstream connect error)"
      bad_config = "(?i)(invalid configuration|missing required (setting|variable)|config(uration)? (file )?not found)"
    }
  }

  # Share of requests that failed over the last 10s: what paged, recorded in
  # the incident, and what verify watches.
  diagnose "error_ratio" {
    prometheus {
      query = "sum(rate(http_requests_total{namespace=\"${alert.labels.namespace}\",service=\"${alert.labels.service}\",code=~\"5..\"}[10s])) / sum(rate(http_requests_total{namespace=\"${alert.labels.namespace}\",service=\"${alert.labels.service}\"}[10s]))"
    }
  }

  # Not a situation this runbook knows: the workload could not be read; no
  # traffic is measured (no series, or 0/0); there is no earlier revision to
  # go back to; or the logs blame a dependency or the configuration, which
  # the previous image would not fix.
  escalate_when = (
    !diagnosis.rollout.found ||
    !diagnosis.error_ratio.found ||
    diagnosis.error_ratio.value == null ||
    diagnosis.rollout.rollout.revision < 2 ||
    diagnosis.rollout.class == "dependency" ||
    diagnosis.rollout.class == "bad_config"
  )

  # A rollout younger than 30 minutes and more than 10% of requests failing:
  # the new revision broke the service. (An old rollout with errors matches
  # no remediation, and the incident escalates: something else changed.)
  remediate "bad_deploy" {
    when = diagnosis.rollout.rollout.age < duration("30m") && diagnosis.error_ratio.value > 0.1

    # Back to the previous revision's pod template; the Deployment
    # controller scales the old ReplicaSet up again. Verification starts
    # when the rollout has finished (or after 2 minutes).
    action "rollback" {
      kubernetes_rollback {
        target = target.app
        wait   = "2m"
      }
    }

    # Resolved when fewer than 2% of requests fail for 5s in a row, checked
    # every second, within a minute; otherwise the incident escalates.
    #
    # No `rollback = true`, on purpose. Restoring a rollback means setting
    # the template back to the revision that was failing: it would
    # re-deploy the broken image, by automation, in the middle of an
    # incident. If the previous revision did not cure the errors, the
    # rollout was not the (only) cause; the known-good version is the safer
    # state to hand to people, and the record says what was changed.
    verify {
      prometheus = "sum(rate(http_requests_total{namespace=\"${alert.labels.namespace}\",service=\"${alert.labels.service}\",code=~\"5..\"}[10s])) / sum(rate(http_requests_total{namespace=\"${alert.labels.namespace}\",service=\"${alert.labels.service}\"}[10s]))"
      below      = 0.02
      for        = "5s"
      within     = "60s"
      every      = "1s"
    }
  }

  escalate {
    log { level = "error" }
  }

  # One rollback per Deployment in two hours, and none within 30 minutes of
  # any other action on it (by this or another runbook): a second bad
  # deploy that soon needs people, not another automatic rollback. If
  # another remediation is acting on the Deployment, wait up to 2 minutes
  # for it (it may fix this alert too), then escalate.
  guardrails {
    cooldown     = "30m"
    max_actions  = 1
    window       = "2h"
    on_busy      = "wait"
    busy_timeout = "2m"
  }
}
