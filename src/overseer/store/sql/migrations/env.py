from __future__ import annotations

from alembic import context

from overseer.store.sql.schema import declared_here, metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite",
                      include_name=declared_here)  # full-text objects live in the migrations only
    context.run_migrations()
