kubernetes {
  kubeconfig = "../kubeconfig"
  qps        = 0 # ERROR col 16: Invalid qps
}
