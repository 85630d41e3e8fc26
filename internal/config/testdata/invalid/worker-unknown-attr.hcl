worker {
  sticky_cache = 10 # ERROR col 3: Unsupported argument
}
