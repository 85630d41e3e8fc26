worker {
  sticky_cache_size = 1000000 # ERROR col 23: Invalid sticky_cache_size
}
