kubernetes {
  kubeconfig = "../kubeconfig"
  namespace  = "default" # ERROR col 3: Unsupported argument
}
