kubernetes {
  in_cluster = true
  kubeconfig = "../kubeconfig" # ERROR col 16: Conflicting kubernetes settings
}
