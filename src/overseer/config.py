"""``overseer.yaml``: loading with errors that point at the file and line, and the commented template.

Sections other issues fill in (profiles, providers, routing, verify, audit) are accepted as mappings now
so a config written for a newer Overseer still loads; unknown top-level keys are refused with their line.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from overseer.domain import Complexity, ConfigError, WorkType

CONFIG_FILE = "overseer.yaml"
STATE_DIR = ".overseer"
DB_FILE = "overseer.db"
DATABASE_ENV = "OVERSEER_DATABASE_URL"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Strict):
    url: str | None = Field(default=None, description="SQLAlchemy URL; default sqlite in .overseer/overseer.db")


class ClaimsConfig(_Strict):
    lease_seconds: float = Field(default=600.0, gt=0)


class DefaultsConfig(_Strict):
    priority: int = Field(default=2, ge=0, le=4)
    max_attempts: int = Field(default=3, ge=1)
    work_type: WorkType = WorkType.IMPLEMENTATION
    complexity: Complexity = Complexity.MEDIUM


class ProfileConfig(_Strict):
    """An agent profile: harness + provider + model + flags + env overrides + limits.

    ``env`` values may name variables of the supervisor's environment as ``${NAME}`` (credentials are given
    that way, by name, never by value); such values are masked in logs and events.
    """

    harness: str
    provider: str | None = None
    model: str | None = None
    env: dict[str, str] = {}
    args: list[str] = []
    command: list[str] | None = Field(default=None, description="argv template for the command harness; {prompt}, {workdir}, {model}")
    pool: int = Field(default=1, ge=1)
    max_turns: int | None = Field(default=None, ge=1)
    max_cost_usd: float | None = Field(default=None, gt=0)
    stall_seconds: float = Field(default=300.0, gt=0)
    wall_seconds: float = Field(default=3600.0, gt=0)
    options: dict[str, Any] = {}


class SetupConfig(_Strict):
    copy_files: list[str] = Field(default=[".env"], alias="copy")
    command: str | None = None
    timeout_seconds: float = Field(default=600.0, gt=0)


class GcConfig(_Strict):
    max_age_hours: float = Field(default=72.0, gt=0)
    disk_cap_mb: float = Field(default=5000.0, gt=0)


class RuntimeConfig(_Strict):
    worktrees: str = Field(default=".overseer/worktrees", description="where run worktrees live (relative to the root)")
    base_branch: str | None = Field(default=None, description="default: the branch checked out in the root")
    max_parallel: int = Field(default=4, ge=1)
    heartbeat_seconds: float = Field(default=15.0, gt=0)
    tick_seconds: float = Field(default=5.0, gt=0, description="full rescan of ready work at least this often")
    watch_seconds: float = Field(default=0.02, gt=0, description="how often the event log is checked for new work")
    log_max_bytes: int = Field(default=5_000_000, ge=10_000)
    default_profiles: dict[WorkType, str] = {}
    setup: SetupConfig = SetupConfig()
    gc: GcConfig = GcConfig()


class OverseerConfig(_Strict):
    database: DatabaseConfig = DatabaseConfig()
    claims: ClaimsConfig = ClaimsConfig()
    defaults: DefaultsConfig = DefaultsConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    profiles: dict[str, ProfileConfig] = {}
    providers: dict[str, Any] = {}
    routing: dict[str, Any] = {}
    verify: dict[str, Any] = {}
    audit: dict[str, Any] = {}


TEMPLATE = """\
# overseer.yaml: configuration of Overseer for this repository.
# Every key is optional; the values shown are the defaults. Errors name this file and the line.

database:
  # Where the task graph lives. Empty: SQLite in .overseer/overseer.db (no server needed).
  # For many machines use PostgreSQL, e.g. postgresql://overseer@db.internal/overseer.
  # The environment variable OVERSEER_DATABASE_URL overrides this.
  url:

claims:
  # How long a claim holds without a heartbeat before another worker may take the task.
  lease_seconds: 600

defaults:
  # Applied to new tasks when the command does not say.
  priority: 2              # 0 (highest) .. 4
  max_attempts: 3
  work_type: implementation  # planning | implementation | review | verification
  complexity: medium         # simple | medium | complex

# Agent profiles, providers and routing rules come here once the runtime is set up, e.g.
# profiles:
#   claude-sonnet:
#     harness: claude-code
#     provider: claude
#     model: claude-sonnet-4-5
"""


def find_root(start: Path | None = None) -> Path:
    """The project root: the nearest folder up with ``overseer.yaml`` or ``.overseer/``, else the git top level, else ``start``."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file() or (folder / STATE_DIR).is_dir():
            return folder
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, check=True)
        return Path(top.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return start


def database_url(config: OverseerConfig, root: Path) -> str:
    env = os.environ.get(DATABASE_ENV)
    if env:
        return env
    if config.database.url:
        return config.database.url
    return f"sqlite:///{root / STATE_DIR / DB_FILE}"


def load_config(root: Path) -> OverseerConfig:
    path = root / CONFIG_FILE
    if not path.is_file():
        return OverseerConfig()
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(str(path), line, f"not valid YAML: {getattr(err, 'problem', err)}") from None
    if data is None:
        return OverseerConfig()
    if not isinstance(data, dict):
        raise ConfigError(str(path), 1, "the top level must be a mapping of sections (database:, claims:, defaults:, ...)")
    try:
        return OverseerConfig.model_validate(data)
    except PydanticValidationError as err:
        first = err.errors()[0]
        loc = [str(p) for p in first["loc"]]
        raise ConfigError(str(path), _line_of(node, loc), _explain(first, loc)) from None


def _explain(error: Any, loc: list[str]) -> str:
    field = ".".join(loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        guess = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else f" (expected one of: {', '.join(known)})"
        return f"unknown key {field!r}{hint}"
    return f"{field}: {error['msg']} (got {error.get('input')!r})"


def _known_keys(parent: list[str]) -> list[str]:
    model: Any = OverseerConfig
    for part in parent:
        model = model.model_fields[part].annotation
    return sorted(model.model_fields)


def _line_of(node: Any, loc: list[str]) -> int | None:
    """The 1-based line of the deepest YAML node on ``loc`` that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if key.value == part:
                line, node = key.start_mark.line + 1, value
                break
        else:
            break
    return line


def write_template(root: Path) -> bool:
    """Write the commented ``overseer.yaml`` unless one exists; True when written."""
    path = root / CONFIG_FILE
    if path.exists():
        return False
    path.write_text(TEMPLATE, encoding="utf-8")
    return True
