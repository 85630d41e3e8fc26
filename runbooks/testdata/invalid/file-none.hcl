# A runbook file must hold a runbook block. # ERROR: Missing runbook block
