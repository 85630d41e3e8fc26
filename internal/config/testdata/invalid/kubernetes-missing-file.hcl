kubernetes {
  kubeconfig = "no-such-kubeconfig" # ERROR col 16: Cannot read kubeconfig
}
