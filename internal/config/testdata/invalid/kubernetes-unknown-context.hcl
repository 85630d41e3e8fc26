kubernetes {
  kubeconfig = "../kubeconfig"
  context    = "production" # ERROR col 16: Unknown kubeconfig context
}
