"""`overseer demo`: the whole pipeline on a sample repository with a built-in scripted model (no key)."""
