"""The routing policy: a pure function of (work type, complexity, attempt, previous profile, mode, quota state).

The first rule whose ``when`` matches gives a chain of profiles; a failed attempt moves up the cascade from the
profile that failed instead. Each step of the chain is taken only if its provider is not parked, has a free pool
slot, is below the step's ``under_percent`` and has room below its emergency reserve (or within it, for an
``emergency`` step or an emergency request). The decision says why, in words a person reads in the event log:
``glm: claude window at 62 % > 40 %``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from overseer.config import OverseerConfig
from overseer.config.providers import ChainEntry, RoutingConfig, RuleConfig
from overseer.domain import Complexity, WorkType

_LEVELS = (Complexity.SIMPLE, Complexity.MEDIUM, Complexity.COMPLEX)


@dataclass(frozen=True)
class ProviderState:
    """A provider's capacity at one moment, as the router needs it."""

    name: str
    percent: float = 0.0                 # its fullest window, percent of the limit
    room: bool = True                    # one more run fits below the emergency reserve
    reserve_room: bool = True            # one more run fits using the reserve
    parked_until: datetime | None = None
    busy: bool = False                   # its pool is full
    reserve_percent: float = 0.0
    resets_at: datetime | None = None    # when the fullest window next gains room


@dataclass(frozen=True)
class QuotaView:
    providers: Mapping[str, ProviderState] = field(default_factory=dict)
    busy_profiles: frozenset[str] = frozenset()  # profiles whose own pool is full
    unusable: Mapping[str, str] = field(default_factory=dict)  # profile -> why it cannot run here (no binary, no key)

    def state(self, provider: str | None) -> ProviderState:
        if provider is None:
            return ProviderState("-")
        return self.providers.get(provider) or ProviderState(provider)


@dataclass(frozen=True)
class RouteRequest:
    work_type: WorkType = WorkType.IMPLEMENTATION
    complexity: Complexity = Complexity.MEDIUM
    attempt: int = 1
    previous_profile: str | None = None
    mode: str | None = None
    emergency: bool = False


@dataclass(frozen=True)
class Option:
    profile: str
    provider: str | None
    emergency: bool = False
    under_percent: float | None = None


@dataclass(frozen=True)
class Decision:
    """The chosen option (``usable[0]``) and the rest that could take the work now, in order; empty: wait."""

    usable: tuple[Option, ...]
    reason: str
    cascaded: bool = False
    retry_at: datetime | None = None

    @property
    def option(self) -> Option | None:
        return self.usable[0] if self.usable else None

    @property
    def profile(self) -> str | None:
        return self.usable[0].profile if self.usable else None

    def dict(self) -> dict[str, object]:
        opt = self.option
        return {"profile": opt.profile if opt else None, "provider": opt.provider if opt else None,
                "emergency": opt.emergency if opt else False, "reason": self.reason, "cascaded": self.cascaded,
                "fallbacks": [o.profile for o in self.usable[1:]], "retry_at": self.retry_at.isoformat() if self.retry_at else None}


class Router:
    """Built once from the config; ``decide`` is pure over its arguments."""

    def __init__(self, routing: RoutingConfig, providers_of: Mapping[str, str | None], resolve: Callable[[str], str]) -> None:
        self.routing = routing
        self.providers_of = dict(providers_of)  # profile -> provider
        self._resolve = resolve

    @classmethod
    def from_config(cls, config: OverseerConfig) -> Router:
        return cls(config.routing, {name: p.provider for name, p in config.profiles.items()}, config.resolve)

    def _option(self, entry: ChainEntry, shift: float) -> Option:
        profile = self._resolve(entry.use)
        under = entry.under_percent + shift if entry.under_percent is not None else None
        return Option(profile, self.providers_of.get(profile), entry.emergency, None if under is not None and under >= 100 else under)

    def rule_for(self, req: RouteRequest) -> tuple[int, RuleConfig] | None:
        mode = req.mode or self.routing.mode
        level = _LEVELS.index(req.complexity) + self.routing.mode_config(mode).complexity_shift
        complexity = _LEVELS[max(0, min(len(_LEVELS) - 1, level))]
        for i, rule in enumerate(self.routing.rules):
            w = rule.when
            if (w.work_type is None or req.work_type in w.work_type) and (w.complexity is None or complexity in w.complexity) \
                    and (w.mode is None or mode in w.mode):
                return i, rule
        return None

    def chain(self, req: RouteRequest) -> tuple[list[Option], str, bool]:
        """The options in order (ignoring quota), what they come from, and whether it is a cascade."""
        shift = self.routing.mode_config(req.mode or self.routing.mode).percent_shift
        cascade = [self._option(e, shift) for e in self.routing.cascade]
        if req.attempt > 1 and req.previous_profile and cascade:
            prev_provider = self.providers_of.get(req.previous_profile)
            steps = [i for i, o in enumerate(cascade)
                     if o.profile == req.previous_profile or (prev_provider and o.provider == prev_provider)]
            if steps:
                after = cascade[steps[-1] + 1:] or cascade[-1:]
                return after, f"cascade after {req.previous_profile} failed attempt {req.attempt - 1}", True
        found = self.rule_for(req)
        if found is None:
            return [], "", False
        i, rule = found
        return [self._option(e, shift) for e in rule.chain], f"rule {i + 1}", False

    def decide(self, req: RouteRequest, view: QuotaView) -> Decision:
        options, source, cascaded = self.chain(req)
        if not options:
            return Decision((), f"no routing rule matches {req.work_type.value}/{req.complexity.value}: add one under routing.rules")
        usable: list[Option] = []
        passed: list[str] = []
        waits: list[datetime] = []
        spill = self.routing.mode_config(req.mode or self.routing.mode).when_busy == "next"
        for opt in options:
            block = self._block(opt, view, req.emergency)
            if block is None:
                if all(u.profile != opt.profile for u in usable):
                    usable.append(opt)
                continue
            why, only_busy = block
            if not usable:
                passed.append(why)
                if only_busy and not spill:
                    # a busy pool frees in minutes: wait for it rather than spend on the next step of the chain
                    return Decision((), f"waiting for a slot ({source}): " + "; ".join(passed), cascaded)
            state = view.state(opt.provider)
            waits += [t for t in (state.parked_until, state.resets_at) if t is not None]
        if not usable:
            return Decision((), f"waiting ({source}): " + "; ".join(passed), cascaded, min(waits, default=None))
        first = usable[0]
        reserve = " (from its emergency reserve)" if self._uses_reserve(first, view, req.emergency) else ""
        detail = "; ".join(passed) if passed else f"{source} for {req.work_type.value}/{req.complexity.value}"
        if passed and cascaded:
            detail = f"{source}; {detail}"
        return Decision(tuple(usable), f"{first.profile}: {detail}{reserve}", cascaded)

    @staticmethod
    def _uses_reserve(opt: Option, view: QuotaView, emergency: bool) -> bool:
        state = view.state(opt.provider)
        return (opt.emergency or emergency) and not state.room

    @staticmethod
    def why_not(opt: Option, view: QuotaView, emergency: bool = False) -> str | None:
        """Why ``opt`` cannot take work now, or None when it can."""
        block = Router._block(opt, view, emergency)
        return block[0] if block is not None else None

    @staticmethod
    def _block(opt: Option, view: QuotaView, emergency: bool) -> tuple[str, bool] | None:
        """Why ``opt`` cannot take work now, and whether only its full pool stops it (a slot frees in minutes)."""
        state = view.state(opt.provider)
        name = opt.provider or opt.profile
        if opt.profile in view.unusable:
            return f"{opt.profile} unusable here ({view.unusable[opt.profile]})", False
        if state.parked_until is not None:
            return f"{name} parked until {state.parked_until.strftime('%Y-%m-%d %H:%M')}Z", False
        if opt.under_percent is not None and state.percent >= opt.under_percent:
            return f"{name} window at {state.percent:.0f} % > {opt.under_percent:.0f} %", False
        if not state.reserve_room:
            return f"{name} window full", False
        if not state.room and not (opt.emergency or emergency):
            return f"{name} window at {state.percent:.0f} %, keeping its {state.reserve_percent:.0f} % reserve", False
        if state.busy or opt.profile in view.busy_profiles:
            return f"{name} pool full", True
        return None
