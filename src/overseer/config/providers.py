"""Providers (capacity with rules) and the routing policy, as ``overseer.yaml`` declares them, with the reference defaults.

With no ``providers:`` section the reference set-up applies (claude, glm, deepseek, openrouter) together with one
profile per provider, named after it. With no ``routing:`` section the reference rules apply, trimmed to the
providers and profiles that exist; a project that configured exactly one profile of its own routes everything
to it. ``check_references`` finds what pydantic cannot: names that point nowhere and rules that never match.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from overseer.domain import Complexity, WorkType
from overseer.domain.usage import ProviderKind, Unit, Window, parse_duration

MODES = ("frugal", "balanced", "performance", "max")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowConfig(_Strict):
    limit: float = Field(gt=0, description="how much of ``unit`` the window holds")
    unit: Unit = Unit.RUNS
    length: float = Field(description="5h, 30m, 7d, 1w or seconds")

    @field_validator("length", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        seconds = parse_duration(value)
        if seconds <= 0:
            raise ValueError(f"a window must have a length above zero (got {value!r})")
        return seconds

    def window(self) -> Window:
        return Window(self.limit, self.unit, self.length)


class BudgetConfig(_Strict):
    daily_usd: float | None = Field(default=None, gt=0)
    monthly_usd: float | None = Field(default=None, gt=0)


class ProviderConfig(_Strict):
    kind: ProviderKind = ProviderKind.API
    windows: list[WindowConfig] = []
    buffer_percent: float = Field(default=0.0, ge=0, lt=100, description="kept for emergencies (reviews, escalations)")
    budget: BudgetConfig = BudgetConfig()
    pool: int = Field(default=1, ge=1, description="runs at once")

    def all_windows(self) -> tuple[Window, ...]:
        """The configured windows plus the dollar budgets as 1-day and 30-day dollar windows."""
        extra = []
        if self.budget.daily_usd:
            extra.append(Window(self.budget.daily_usd, Unit.USD, 86400.0))
        if self.budget.monthly_usd:
            extra.append(Window(self.budget.monthly_usd, Unit.USD, 30 * 86400.0))
        return (*(w.window() for w in self.windows), *extra)


class ChainEntry(_Strict):
    """One step of a chain: a profile or provider name, with the condition under which it may be used."""

    use: str
    under_percent: float | None = Field(default=None, gt=0, le=100, description="only while the provider's fullest window is below this")
    emergency: bool = Field(default=False, description="may use the provider's emergency reserve")


Chain = list[ChainEntry]


def _entries(value: Any) -> Any:
    if isinstance(value, list):
        return [{"use": v} if isinstance(v, str) else v for v in value]
    return value


class RuleWhen(_Strict):
    work_type: list[WorkType] | None = None
    complexity: list[Complexity] | None = None
    mode: list[str] | None = None

    @field_validator("work_type", "complexity", "mode", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("mode")
    @classmethod
    def _modes(cls, value: list[str] | None) -> list[str] | None:
        for mode in value or []:
            if mode not in MODES:
                raise ValueError(f"unknown mode {mode!r} (modes: {', '.join(MODES)})")
        return value

    def covers(self, other: RuleWhen) -> bool:
        """Whether every case ``other`` matches is matched by this one too (so ``other``, after it, never matches)."""
        pairs: list[tuple[list[Any] | None, list[Any] | None]] = [
            (self.work_type, other.work_type), (self.complexity, other.complexity), (self.mode, other.mode)]
        return all(mine is None or (theirs is not None and set(theirs) <= set(mine)) for mine, theirs in pairs)


class RuleConfig(_Strict):
    when: RuleWhen = RuleWhen()
    chain: Chain = Field(min_length=1)

    @field_validator("chain", mode="before")
    @classmethod
    def _chain(cls, value: Any) -> Any:
        return _entries(value)


class ModeConfig(_Strict):
    percent_shift: float = Field(default=0.0, description="added to every under_percent threshold")
    complexity_shift: int = Field(default=0, ge=-2, le=2, description="route as if tasks were this many steps harder")
    when_busy: Literal["wait", "next"] = Field(default="wait", description="a step whose pool is full: wait, or take the next step")


class RoutingConfig(_Strict):
    mode: str = "balanced"
    rules: list[RuleConfig] = []
    cascade: Chain = []
    modes: dict[str, ModeConfig] = {}

    @field_validator("cascade", mode="before")
    @classmethod
    def _cascade(cls, value: Any) -> Any:
        return _entries(value)

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in MODES:
            raise ValueError(f"unknown mode {value!r} (modes: {', '.join(MODES)})")
        return value

    @field_validator("modes")
    @classmethod
    def _mode_names(cls, value: dict[str, ModeConfig]) -> dict[str, ModeConfig]:
        for name in value:
            if name not in MODES:
                raise ValueError(f"unknown mode {name!r} (modes: {', '.join(MODES)})")
        return value

    def mode_config(self, mode: str) -> ModeConfig:
        return self.modes.get(mode) or DEFAULT_MODES.get(mode, ModeConfig())


# -- the reference set-up ------------------------------------------------------------------------------

DEFAULT_PROVIDERS: dict[str, dict[str, Any]] = {
    "claude": {"kind": "subscription", "windows": [{"limit": 45, "unit": "runs", "length": "5h"}], "buffer_percent": 20, "pool": 2},
    "glm": {"kind": "subscription", "windows": [{"limit": 180, "unit": "runs", "length": "5h"}], "buffer_percent": 3, "pool": 4},
    "deepseek": {"kind": "api", "pool": 6},
    "openrouter": {"kind": "api", "pool": 2},
}

DEFAULT_PROFILES: dict[str, dict[str, Any]] = {
    "claude": {"harness": "claude-code", "provider": "claude", "model": "claude-sonnet-4-5",
               "env": {"ANTHROPIC_API_KEY": "${ANTHROPIC_API_KEY}"},
               "options": {"litellm_model": "anthropic/claude-sonnet-4-5", "env_key": "ANTHROPIC_API_KEY"}},
    "glm": {"harness": "claude-code", "provider": "glm", "model": "glm-4.6",
            "env": {"ANTHROPIC_BASE_URL": "${GLM_BASE_URL}", "ANTHROPIC_AUTH_TOKEN": "${GLM_API_KEY}"},
            "options": {"litellm_model": "anthropic/glm-4.6", "api_base_env": "GLM_BASE_URL", "env_key": "GLM_API_KEY"}},
    "deepseek": {"harness": "mini-swe-agent", "provider": "deepseek", "model": "deepseek/deepseek-chat",
                 "env": {"DEEPSEEK_API_KEY": "${DEEPSEEK_API_KEY}"}, "options": {"env_key": "DEEPSEEK_API_KEY"}},
    "openrouter": {"harness": "mini-swe-agent", "provider": "openrouter", "model": "openrouter/qwen/qwen3-coder",
                   "env": {"OPENROUTER_API_KEY": "${OPENROUTER_API_KEY}"}, "options": {"env_key": "OPENROUTER_API_KEY"}},
}

DEFAULT_RULES: list[dict[str, Any]] = [
    {"when": {"work_type": "planning"}, "chain": ["claude", "openrouter", "glm"]},
    {"when": {"work_type": "review"}, "chain": ["claude", "glm", {"use": "claude", "emergency": True}]},
    {"when": {"work_type": "verification"}, "chain": ["glm", "openrouter"]},
    {"when": {"work_type": "implementation", "complexity": "complex"}, "chain": ["claude", "glm"]},
    {"when": {"work_type": "implementation", "complexity": "medium"},
     "chain": [{"use": "claude", "under_percent": 40}, "glm", "deepseek"]},
    {"when": {"work_type": "implementation", "complexity": "simple"}, "chain": ["deepseek"]},
]
DEFAULT_CASCADE: list[Any] = ["deepseek", "glm", "openrouter", {"use": "claude", "emergency": True}]

DEFAULT_MODES: dict[str, ModeConfig] = {
    "frugal": ModeConfig(percent_shift=-20, complexity_shift=-1),
    "balanced": ModeConfig(),
    "performance": ModeConfig(percent_shift=30, when_busy="next"),
    "max": ModeConfig(percent_shift=60, complexity_shift=2, when_busy="next"),
}


def default_routing(names: set[str], own_profiles: list[str]) -> dict[str, Any]:
    """The routing used when ``overseer.yaml`` has none: the reference rules over the names that exist, or, for a
    project with exactly one profile of its own, that profile for everything."""
    if len(own_profiles) == 1:
        return {"rules": [{"chain": own_profiles}]}

    def keep(chain: list[Any]) -> list[Any]:
        return [e for e in chain if (e if isinstance(e, str) else e["use"]) in names]

    rules = [{**r, "chain": keep(r["chain"])} for r in DEFAULT_RULES if keep(r["chain"])]
    if not rules and own_profiles:
        rules = [{"chain": own_profiles}]
    return {"rules": rules, "cascade": keep(DEFAULT_CASCADE)}
