"""``overseer.yaml``: loading with errors that point at the file and line, and the commented template.

Unknown top-level keys are refused with their line. Providers and routing live in
``config.providers``; names that point nowhere and rules that never match are refused here, with their line.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from overseer.config.providers import (
    DEFAULT_PROFILES,
    DEFAULT_PROVIDERS,
    ChainEntry,
    ProviderConfig,
    RoutingConfig,
    default_routing,
)
from overseer.config.skills import SkillsConfig, check_skills
from overseer.config.verify import AuditConfig, LandingConfig, NotifyConfig, VerifyConfig
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


class PlanningConfig(_Strict):
    """``overseer plan``: the budget a plan's estimate must fit, how much of the codebase the planning model sees, and
    how its call is routed (a ``planning`` call of ``complexity``, or pinned to ``profile``)."""

    max_cost_usd: float | None = Field(default=None, gt=0, description="plans estimated above this are refused unless --force")
    review_token_budget: int = Field(default=12_000, ge=500, description="tokens of codebase review in the planning prompt")
    max_reply_tokens: int = Field(default=8_000, ge=500)
    complexity: Complexity = Complexity.COMPLEX
    profile: str | None = Field(default=None, description="pin the planning call to this profile instead of routing it")


class KnowledgeConfig(_Strict):
    """The knowledge store ("brain", ``overseer brain``)."""

    in_prompts: bool = Field(default=True, description="quote the entries most relevant to a task in its agents' prompts")
    prompt_entries: int = Field(default=3, ge=1, le=20, description="how many entries a prompt quotes at most")
    retrospective: Literal["off", "failures", "all"] = Field(
        default="off", description="after a task lands or fails, the retrospective skill proposes entries (a model call per "
                                   "task): off, failures (failed and escalated tasks) or all (landed ones too)")
    retrospective_max_entries: int = Field(default=3, ge=1, le=20, description="new entries one retrospective adds at most")

    @field_validator("retrospective", mode="before")
    @classmethod
    def _bare_off(cls, value: object) -> object:
        """YAML reads a bare ``off`` as false; ``on`` or ``true`` says nothing about which tasks: refused."""
        if value is False:
            return "off"
        if value is True:
            raise ValueError("say which tasks get a retrospective: off, failures or all")
        return value


class OverseerConfig(_Strict):
    database: DatabaseConfig = DatabaseConfig()
    claims: ClaimsConfig = ClaimsConfig()
    defaults: DefaultsConfig = DefaultsConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    profiles: dict[str, ProfileConfig] = {}
    providers: dict[str, ProviderConfig] = {}
    routing: RoutingConfig = RoutingConfig()
    verify: VerifyConfig = VerifyConfig()
    landing: LandingConfig = LandingConfig()
    notify: NotifyConfig = NotifyConfig()
    audit: AuditConfig = AuditConfig()
    skills: SkillsConfig = SkillsConfig()
    planning: PlanningConfig = PlanningConfig()
    knowledge: KnowledgeConfig = KnowledgeConfig()
    _builtin: frozenset[str] = PrivateAttr(default=frozenset())

    @model_validator(mode="before")
    @classmethod
    def _reference_defaults(cls, data: Any) -> Any:
        """No ``providers:``: the reference providers and their profiles. No ``routing:``: the reference rules."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        profiles = dict(data.get("profiles") or {})
        own = list(profiles)
        if "providers" not in data:
            profiles = {**{k: v for k, v in DEFAULT_PROFILES.items() if k not in profiles}, **profiles}
            named = {_provider_of(p) for p in profiles.values()}
            # a reference provider whose profile was replaced by one of the project's goes with it
            data["providers"] = {k: v for k, v in DEFAULT_PROVIDERS.items() if k in named}
            data["profiles"] = profiles
        if "routing" not in data or data["routing"] is None:
            data["routing"] = default_routing(set(profiles) | set(data["providers"] or {}), own)
        return data

    @model_validator(mode="after")
    def _references(self) -> OverseerConfig:
        found = check_references(self)
        if found is not None:
            raise ReferenceProblem(*found)
        self._builtin = frozenset(n for n, p in self.profiles.items()
                                  if n in DEFAULT_PROFILES and p == ProfileConfig(**DEFAULT_PROFILES[n]))
        return self

    def is_builtin(self, profile: str) -> bool:
        """Whether ``profile`` is one of the reference profiles Overseer added (not written in overseer.yaml)."""
        return profile in self._builtin

    def resolve(self, name: str) -> str:
        """The profile a chain entry names: a profile of that name, else the first profile of that provider."""
        if name in self.profiles:
            return name
        for profile, prof in self.profiles.items():
            if prof.provider == name:
                return profile
        raise KeyError(name)


class ReferenceProblem(ValueError):
    """A name in overseer.yaml that points nowhere, or a rule that never matches; ``loc`` is its path."""

    def __init__(self, loc: list[str | int], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def check_references(cfg: OverseerConfig) -> tuple[list[str | int], str] | None:
    """The first name that points nowhere or rule that can never match, as (path in the file, message)."""
    for name, prof in cfg.profiles.items():
        if prof.provider is not None and prof.provider not in cfg.providers:
            return ["profiles", name, "provider"], (f"profile {name!r} names provider {prof.provider!r}, which is not in providers: "
                                                    f"({_names(cfg.providers)})")
    for name in cfg.providers:
        if not any(p.provider == name for p in cfg.profiles.values()):
            return ["providers", name], f"provider {name!r} has no profile: add one under profiles: with provider: {name}"
    known = set(cfg.profiles) | set(cfg.providers)
    chains: list[tuple[list[str | int], list[ChainEntry]]] = [
        (["routing", "rules", i, "chain"], r.chain) for i, r in enumerate(cfg.routing.rules)]
    chains.append((["routing", "cascade"], cfg.routing.cascade))
    for loc, chain in chains:
        for j, entry in enumerate(chain):
            if entry.use not in known:
                return [*loc, j], f"{entry.use!r} is neither a profile nor a provider (known: {', '.join(sorted(known)) or 'none'})"
    rules = cfg.routing.rules
    for j, rule in enumerate(rules):
        for i in range(j):
            if rules[i].when.covers(rule.when):
                return ["routing", "rules", j], f"rule {j + 1} can never match: rule {i + 1} before it matches every case it does"
    return check_skills(cfg.skills, cfg.profiles)


def _provider_of(profile: Any) -> Any:
    return profile.get("provider") if isinstance(profile, dict) else getattr(profile, "provider", None)


def _names(mapping: dict[str, Any]) -> str:
    return ", ".join(sorted(mapping)) or "none"


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

# Agent profiles: harness + provider + model + env. With no providers: section, the reference set-up applies:
# profiles claude (Claude Code), glm (Claude Code against GLM_BASE_URL with GLM_API_KEY), deepseek and openrouter
# (mini-swe-agent with DEEPSEEK_API_KEY / OPENROUTER_API_KEY). A profile of your own, e.g.:
# profiles:
#   sonnet:
#     harness: claude-code
#     provider: claude
#     model: claude-sonnet-4-5
#     env: {ANTHROPIC_API_KEY: ${ANTHROPIC_API_KEY}}

# Providers: capacity with rules. The reference set-up, written out:
# providers:
#   claude:     {kind: subscription, windows: [{limit: 45, unit: runs, length: 5h}], buffer_percent: 20, pool: 2}
#   glm:        {kind: subscription, windows: [{limit: 180, unit: runs, length: 5h}], buffer_percent: 3, pool: 4}
#   deepseek:   {kind: api, pool: 6, budget: {daily_usd: 20}}
#   openrouter: {kind: api, pool: 2}
# Units: runs, requests, tokens, usd; lengths: 30m, 5h, 7d, 1w. buffer_percent is kept for reviews and escalations.

# Routing: the first rule whose `when` matches gives the chain; a failed attempt climbs the cascade instead.
# routing:
#   mode: balanced            # frugal | balanced | performance | max
#   rules:
#     - when: {work_type: implementation, complexity: medium}
#       chain: [{use: claude, under_percent: 40}, glm, deepseek]
#   cascade: [deepseek, glm, openrouter, {use: claude, emergency: true}]
# See `overseer providers`, `overseer quota` and `overseer route TASK`.

# Verification: every finished run's worktree, cheap to expensive, stopping at the first blocking failure.
# Verdicts: approved | approved_minor (lands) | needs_changes (retried with the findings) | needs_guidance (a person).
verify:
  stages: [diff, static, secrets, tests, review]
  diff: {allow_empty: false, allowed_paths: [], max_files: 200, max_lines: 5000, max_file_bytes: 1000000, allow_binary: false}
  static: {ruff: null, bandit: null, shellcheck: null}   # null: when files of that language changed and the tool is found
  secrets: {enabled: true}
  tests:
    command:               # empty: pytest when the repository has tests; the process group is killed at the timeout
    timeout_seconds: 600
    coverage_floor:        # e.g. 80 (percent)
  review: {enabled: true}  # an LLM review routed as a `review` task; a reply that cannot be parsed is never a pass

# Landing: a merge queue, one merge at a time per integration branch.
landing:
  target: overseer/integration/{base}   # where a task outside any epic lands
  epic_branch: overseer/epic/{epic}     # an epic's integration branch, from the base branch
  epic_review: true                     # an LLM review of the whole epic before the gate
  epic_approval: true                   # merging an epic into the base branch waits for `overseer approve EPIC`
  approve_each: false                   # true: every verified task waits for `overseer approve` before it lands
  retest_when_moved: true               # the target moved since the run began: test the merge before it lands
  remote:                               # push the base branch here after an approved merge

# Notifications through Apprise: escalations, spent budgets and windows, failures past retry, epics ready, summaries.
notify:
  urls: []                 # e.g. [slack://${SLACK_TOKEN}, mailto://user:${MAIL_PASSWORD}@example.com, json://host/hook]
  # events: [escalated, budget_exhausted, window_exhausted, failed, needs_guidance, epic_ready, summary]

# Skills: markdown disciplines (tdd, review, debug, spec, retrospective) run as one model call each:
# `overseer skill list`, `overseer skill run review "…" [--model PROFILE|MODEL] [--session NAME]`.
skills:
  folder: skills           # your own skills (*.md with front matter), versioned with the project; same name overrides a built-in
  history_limit: 5         # earlier calls of the same --session quoted to the model
  history_chars: 2000      # ... in about this many characters
  # review:                # any other key is a skill: the profiles its calls try, in order (default: routed by work type)
  #   chain: [claude, glm]

# Planning: `overseer plan "REQUEST"` reviews the codebase, asks the planning model for phases of tasks, estimates them
# with the routing policy and the price map, and stores an epic whose phases each wait for `overseer approve PHASE`.
planning:
  max_cost_usd:            # e.g. 25: a plan whose billed estimate is higher is reported, not stored (--force stores it)
  review_token_budget: 12000   # how much of the codebase (tree, test set-up, conventions, key files) the model sees
  max_reply_tokens: 8000
  complexity: complex      # the planning call is routed as planning work of this complexity...
  profile:                 # ...unless pinned to one profile here

# Knowledge ("brain"): markdown notes kept with `overseer brain add`, found by full-text search.
knowledge:
  in_prompts: true         # quote the entries most relevant to a task (by its title and body) in its agents' prompts
  prompt_entries: 3        # at most this many
  retrospective: off       # after a task lands or fails, the retrospective skill proposes entries: off | failures | all
                           # (failures: failed and escalated tasks; all: landed ones too). Each costs a model call.
  retrospective_max_entries: 3   # new entries one retrospective adds at most (titles already known are skipped)
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
        errors = err.errors()
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])  # a misspelt key explains a missing one
        problem = (first.get("ctx") or {}).get("error")
        if isinstance(problem, ReferenceProblem):
            raise ConfigError(str(path), _line_of(node, problem.loc), str(problem)) from None
        loc: list[str | int] = list(first["loc"])
        raise ConfigError(str(path), _line_of(node, loc), _explain(first, [str(p) for p in loc])) from None


def _explain(error: Any, loc: list[str]) -> str:
    field = ".".join(loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        guess = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else f" (expected one of: {', '.join(known)})"
        return f"unknown key {field!r}{hint}"
    return f"{field}: {error['msg']} (got {error.get('input')!r})"


def _known_keys(parent: list[str]) -> list[str]:
    """The keys allowed at ``parent``, following dicts, lists and optionals down the models."""
    model: Any = OverseerConfig
    parts = list(parent)
    while parts:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(parts.pop(0))
            if field is None:
                return []
            model = field.annotation
            continue
        args = [a for a in get_args(model) if a is not type(None)]
        if get_origin(model) is dict:
            parts.pop(0)
            model = args[-1]
        elif get_origin(model) is list:
            parts.pop(0)
            model = args[0]
        elif args:  # X | None, or a union of a name and a model: the model
            model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), args[0])
        else:
            return []
    while get_args(model):
        model = next((a for a in get_args(model) if isinstance(a, type) and issubclass(a, BaseModel)), get_args(model)[0])
    return sorted(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _line_of(node: Any, loc: list[str | int]) -> int | None:
    """The 1-based line of the deepest YAML node on ``loc`` that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and str(part).isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if key.value == str(part):
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
