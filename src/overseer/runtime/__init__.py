"""Runtime adapters: git worktrees and supervised agent processes."""
