"""What every command shares: the --json flag, the actor, opening the supervisor, printing results and errors."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from overseer.bootstrap import open_supervisor
from overseer.domain import OverseerError
from overseer.service import Supervisor

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]
RepoOpt = Annotated[Path | None, typer.Option("--repo", "-C", help="Project folder (default: found from the current folder).")]

# Piped output is read by people in logs and CI: give tables room instead of the 80 columns Rich assumes.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def actor() -> str:
    return os.environ.get("OVERSEER_ACTOR") or _user()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, *, as_json: bool, kind: str = "error", exit_code: int = 1, **fields: Any) -> NoReturn:
    if as_json:
        sys.stderr.write(json.dumps({"error": {"type": kind, "message": message, **fields}}) + "\n")
    else:
        err.print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(exit_code)


@contextmanager
def supervisor(as_json: bool, repo: Path | None = None) -> Iterator[Supervisor]:
    """Open the project's supervisor; turn any ``OverseerError`` into a clear message and exit code 1."""
    sup: Supervisor | None = None
    try:
        sup = open_supervisor(repo)
        yield sup
    except OverseerError as exc:
        fields: dict[str, Any] = {k: v for k, v in vars(exc).items() if isinstance(v, str | int | tuple) and not k.startswith("_")}
        fail(str(exc), as_json=as_json, kind=type(exc).__name__, **fields)
    finally:
        if sup is not None:
            sup.close()
