"""The SQL store: SQLAlchemy Core over SQLite (default) or PostgreSQL."""
