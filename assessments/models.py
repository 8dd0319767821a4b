"""Rating models (issue: the annual rating)."""
