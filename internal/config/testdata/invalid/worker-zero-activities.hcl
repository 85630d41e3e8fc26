worker {
  max_concurrent_activities = 0 # ERROR col 31: Invalid max_concurrent_activities
}
