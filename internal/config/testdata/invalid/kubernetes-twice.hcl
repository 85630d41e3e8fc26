kubernetes {
  kubeconfig = "../kubeconfig"
}
kubernetes { # ERROR col 1: Duplicate kubernetes block
  in_cluster = true
}
