"""The one place concrete adapters are chosen: config in, a ready ``Supervisor`` out."""

from __future__ import annotations

from pathlib import Path

from overseer.config import STATE_DIR, database_url, find_root, load_config
from overseer.service import Supervisor
from overseer.store.sql.store import SqlStore


def open_supervisor(root: Path | None = None) -> Supervisor:
    """Find the project, load ``overseer.yaml``, open (and migrate) the store it names."""
    root = find_root(root)
    config = load_config(root)
    url = database_url(config, root)
    if url.startswith("sqlite"):
        (root / STATE_DIR).mkdir(exist_ok=True)
    return Supervisor(SqlStore.from_url(url), config, root)


def init_project(root: Path) -> dict[str, object]:
    """Create ``overseer.yaml`` (commented) and ``.overseer/`` (git-ignored by its own .gitignore), then the database."""
    from overseer.config import write_template

    root = root.resolve()
    wrote = write_template(root)
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Overseer state: database, run logs, audit reports. Not for version control.\n*\n", encoding="utf-8")
    supervisor = open_supervisor(root)
    try:
        url = database_url(supervisor.config, root)
    finally:
        supervisor.close()
    return {"root": str(root), "config": str(root / "overseer.yaml"), "config_written": wrote, "state": str(state), "database": url}
