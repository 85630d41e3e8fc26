# Engine configuration for the bad-deploy scenario. run.sh does not use this
# file as it is: the cluster's kubeconfig only exists once run.sh has
# started the cluster, and firebreak checks a kubeconfig when it loads its
# configuration. run.sh copies this file into its state directory and adds
#
#   kubernetes {
#     kubeconfig = "/tmp/firebreak-bad-deploy/kubeconfig"   # the run's admin kubeconfig
#   }
#
# Everything not set here keeps its `firebreak dev` default (webhook on
# 127.0.0.1:9095, embedded Temporal on 127.0.0.1:7233, its UI on :8233).

# The scenario's Prometheus (prometheus/prometheus.yml), which scrapes the
# simulated service every second; the runbook's error-ratio diagnosis and
# its verify loop query it.
prometheus {
  url     = "http://127.0.0.1:19190"
  timeout = "5s"
}
