worker {
  workflow_pollers = 1 # ERROR col 22: Invalid workflow_pollers
}
