kubernetes { # ERROR col 1: Missing kubeconfig
  qps = 5
}
