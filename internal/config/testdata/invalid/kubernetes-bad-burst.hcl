kubernetes {
  kubeconfig = "../kubeconfig"
  burst      = 0 # ERROR col 16: Invalid burst
}
