"""Task-graph stores: ``InMemoryStore`` and ``SqlStore`` (SQLite, PostgreSQL), one contract."""
