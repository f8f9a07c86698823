"""Alembic migrations, applied automatically by ``engine.migrate`` (and by hand with ``alembic``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = "0007"
HERE = Path(__file__).parent


def config(engine: Engine) -> Config:
    from alembic.config import Config  # imported late: most CLI calls find the schema current

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = engine
    return cfg


def current(engine: Engine) -> str | None:
    with engine.connect().execution_options(overseer_read_only=True) as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(config(engine), revision)
