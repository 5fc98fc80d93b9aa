"""`kbd run`: watch the vault, run config.yaml triggers, reload live, survive anything."""
