kubernetes {
  in_cluster = true
  context    = "prod" # ERROR col 16: Conflicting kubernetes settings
}
