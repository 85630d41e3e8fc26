kubernetes {
  kubeconfig = "~ops/.kube/config" # ERROR col 16: Cannot expand ~
}
