"""Routing benchmark: a synthetic week of agent work replayed through four routing strategies.

    .venv/bin/python bench/routing.py [--seed 7] [--tasks 2000] [--plan-use 1.0] [--check]

A discrete-event simulation (a simulated clock; nothing sleeps) of TASKS tasks arriving over 7 days, each with
a work type, a complexity and at most 3 attempts, replayed through

  (a) strongest  every attempt on the strongest provider (claude);
  (b) static     the first entry of the reference rule chain, a failed attempt moving along the reference cascade;
  (c) litellm    a real ``litellm.Router`` with one deployment per provider and the same chains as fallbacks;
  (d) overseer   ``overseer.scheduler.Router`` over a ``QuotaBook`` on ``InMemoryStore``'s usage ledger.

Quota reality is the same for every strategy: a provider serves at most ``pool`` runs at once, and a provider
whose rolling window is full answers 429 to a further run. A dispatch that meets a full window is an *overrun*;
the task then waits for the window (or falls back, if the strategy does). Every strategy sees the same tasks
with the same luck (common random numbers): attempt k of a task succeeds on provider p when its k-th draw is
below p's success probability for the task's complexity, and takes the task's k-th duration whatever the provider.

The last line is::

    BENCH routing cost_ratio_vs_strongest=… solve_delta_pts=… overruns=… cost_ratio_vs_static=… cost_ratio_vs_litellm=…

(ratios: Overseer's cost per solved task over the baseline's; solve_delta_pts: Overseer's solve rate minus
(a)'s, in points; overruns: Overseer's). Targets: ratio vs (a) <= 0.60 with solve delta >= -2 points; zero
overruns; cheaper per solved task than (b) and (c). With ``--check`` the exit status is 1 when one is missed.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import logging
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from overseer.config import OverseerConfig
from overseer.config.providers import ProviderConfig
from overseer.domain import Complexity, WorkType
from overseer.domain.usage import ProviderKind, Unit, UsageKind
from overseer.scheduler.quota import QuotaBook
from overseer.scheduler.router import Decision, QuotaView, Router, RouteRequest
from overseer.store.memory import InMemoryStore

# --------------------------------------------------------------------------------------------------
# The workload and the providers, declared before any run (chosen to be plausible, not tuned to a result)
# --------------------------------------------------------------------------------------------------
S, M, C = Complexity.SIMPLE, Complexity.MEDIUM, Complexity.COMPLEX
DEFAULT_SEED = 7
DEFAULT_TASKS = 2000
DAYS = 7
START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
MAX_ATTEMPTS = 3
WORK_MIX = {WorkType.IMPLEMENTATION: 0.65, WorkType.REVIEW: 0.15, WorkType.VERIFICATION: 0.12, WorkType.PLANNING: 0.08}
COMPLEXITY_MIX = {S: 0.40, M: 0.40, C: 0.20}
HOUR_WEIGHTS = [3 if 8 <= h < 20 else 1 for h in range(24)]  # three times the arrivals in working hours (UTC)
RUN_MINUTES = {S: 6.0, M: 15.0, C: 35.0}  # mean agent-run length; each run is that times a log-normal draw of mean 1
DURATION_SIGMA = 0.5
SUCCESS = {  # chance that one attempt solves the task, by complexity
    "claude": {S: 0.92, M: 0.80, C: 0.62},
    "glm": {S: 0.88, M: 0.72, C: 0.50},
    "openrouter": {S: 0.85, M: 0.66, C: 0.42},
    "deepseek": {S: 0.82, M: 0.60, C: 0.36},
}
# Prices. API providers: an agent run's tokens (input counts the context re-sent every turn) times the list price
# in $ per million tokens: deepseek-chat blended for ~70 % prompt-cache hits ($0.028 hit / $0.28 miss, $0.42 out);
# qwen3-coder on OpenRouter without caching ($0.22 in, $0.95 out). Subscriptions: the plan's monthly fee
# (Claude Max 20x $200, GLM coding plan $30) spread evenly over every run its window allows in a 30-day month
# (window limit x windows per month) times PLAN_USE, the share of those runs the plan is used for. At 1.0 that
# is the price of one window slot of a plan used to the full: the cheapest a subscription run can be, which
# favours the subscription-heavy baselines (``--plan-use`` shows the sensitivity; the BENCH figures use 1.0).
TOKENS_PER_RUN = {S: (150_000, 4_000), M: (400_000, 10_000), C: (900_000, 22_000)}
API_USD_PER_MTOK = {"deepseek": (0.10, 0.42), "openrouter": (0.22, 0.95)}
PLAN_USD_PER_MONTH = {"claude": 200.0, "glm": 30.0}
PLAN_USE = 1.0
MONTH_SECONDS = 30 * 86400
STRONGEST = max(SUCCESS, key=lambda p: sum(SUCCESS[p].values()))
IDLE_TICK = timedelta(minutes=5)  # a wake-up when tasks wait and nothing else is due
GIVE_UP_AFTER = timedelta(days=120)  # a strategy still not done by then is reported as stuck


def log(msg: str = "") -> None:
    print(msg, flush=True)


Prices = Mapping[str, Mapping[Complexity, float]]


def run_prices(providers: Mapping[str, ProviderConfig], plan_use: float = PLAN_USE) -> dict[str, dict[Complexity, float]]:
    """Dollars per run, by provider and complexity (see the assumptions above)."""
    prices: dict[str, dict[Complexity, float]] = {}
    for name, conf in providers.items():
        if conf.kind is ProviderKind.SUBSCRIPTION:
            slots = plan_use * min(w.limit * MONTH_SECONDS / w.seconds for w in conf.all_windows() if w.unit is Unit.RUNS)
            prices[name] = dict.fromkeys(RUN_MINUTES, PLAN_USD_PER_MONTH[name] / slots)
        else:
            usd_in, usd_out = API_USD_PER_MTOK[name]
            prices[name] = {c: (t_in * usd_in + t_out * usd_out) / 1e6 for c, (t_in, t_out) in TOKENS_PER_RUN.items()}
    return prices


# --------------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    id: str
    at: datetime
    work_type: WorkType
    complexity: Complexity
    luck: tuple[float, ...]      # attempt k succeeds on provider p when luck[k] < SUCCESS[p][complexity]
    minutes: tuple[float, ...]   # attempt k's run length


def generate(n: int, seed: int) -> list[Spec]:
    rng = random.Random(seed)
    specs = []
    for i in range(n):
        work_type = rng.choices(list(WORK_MIX), weights=list(WORK_MIX.values()))[0]
        complexity = rng.choices(list(COMPLEXITY_MIX), weights=list(COMPLEXITY_MIX.values()))[0]
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        at = START + timedelta(days=rng.randrange(DAYS), hours=hour, seconds=rng.uniform(0, 3600))
        luck = tuple(rng.random() for _ in range(MAX_ATTEMPTS))
        mu = -DURATION_SIGMA ** 2 / 2
        minutes = tuple(RUN_MINUTES[complexity] * rng.lognormvariate(mu, DURATION_SIGMA) for _ in range(MAX_ATTEMPTS))
        specs.append(Spec(f"t{i:05d}", at, work_type, complexity, luck, minutes))
    return sorted(specs, key=lambda s: (s.at, s.id))


@dataclass
class TaskState:
    spec: Spec
    attempt: int = 1
    previous: str | None = None          # the profile of the last failed attempt
    sleep_until: datetime | None = None  # told to come back then (after a 429)
    blocked_since: datetime | None = None
    blocked_seconds: float = 0.0
    solved: bool = False
    ended: datetime | None = None

    @property
    def request(self) -> RouteRequest:
        return RouteRequest(self.spec.work_type, self.spec.complexity, self.attempt, self.previous)

    def block(self, now: datetime) -> None:
        if self.blocked_since is None:
            self.blocked_since = now

    def unblock(self, now: datetime) -> None:
        if self.blocked_since is not None:
            self.blocked_seconds += (now - self.blocked_since).total_seconds()
            self.blocked_since = None


# --------------------------------------------------------------------------------------------------
# Quota reality: pools and rolling windows, as the providers enforce them
# --------------------------------------------------------------------------------------------------
class Offer(Enum):
    STARTED = "started"
    POOL_FULL = "pool full"
    WINDOW_FULL = "429: window full"


@dataclass
class ProviderSim:
    name: str
    pool: int
    windows: list[tuple[float, timedelta]]  # (limit in runs, length)
    starts: list[datetime] = field(default_factory=list)
    live: int = 0

    def _inside(self, now: datetime, length: timedelta) -> list[datetime]:
        longest = max((span for _, span in self.windows), default=timedelta(0))
        while self.starts and self.starts[0] <= now - longest:  # starts are in time order: forget what no window holds
            self.starts.pop(0)
        return [t for t in self.starts if t > now - length]

    def window_full(self, now: datetime) -> bool:
        return any(len(self._inside(now, length)) >= limit for limit, length in self.windows)

    def reset_at(self, now: datetime) -> datetime:
        """When a full window next gains room (what a 429's retry-after says)."""
        full = [(self._inside(now, length), length) for limit, length in self.windows if len(self._inside(now, length)) >= limit]
        return max(min(inside) + length for inside, length in full)


@dataclass(frozen=True)
class Run:
    task: TaskState
    provider: str
    cost: float
    success: bool


@dataclass(frozen=True)
class Wait:
    """Not dispatched: ``window`` when a quota window is what holds the task; ``sleep_until``: skip it till then."""

    window: bool = False
    sleep_until: datetime | None = None
    retry_at: datetime | None = None


class Strategy(Protocol):
    name: str

    def dispatch(self, task: TaskState, sim: Sim) -> Wait | None: ...

    def finished(self, run: Run, sim: Sim) -> None: ...


@dataclass
class Result:
    name: str
    tasks: int
    solved: int
    cost: float
    overruns: int
    blocked_hours: float
    makespan_days: float
    turnaround_hours: float  # mean, arrival to the end of the task's last run
    runs: Counter[str]
    seconds: float

    @property
    def solve_rate(self) -> float:
        return 100.0 * self.solved / self.tasks

    @property
    def cost_per_solved(self) -> float:
        return self.cost / self.solved if self.solved else math.inf


class Sim:
    """The event loop: arrivals, run ends and wake-ups on a simulated clock; a dispatch pass after each instant."""

    def __init__(self, specs: Sequence[Spec], config: OverseerConfig, prices: Prices) -> None:
        self.specs, self.prices, self.now = specs, prices, START
        self.providers = {name: _provider_sim(name, conf) for name, conf in config.providers.items()}
        self.events: list[tuple[datetime, int, str, Any]] = []
        self._seq = itertools.count()
        self.pending: list[TaskState] = []
        self.done: list[TaskState] = []
        self.overruns, self.cost, self.runs = 0, 0.0, Counter[str]()

    def clock(self) -> datetime:
        return self.now

    def live(self) -> dict[str, int]:
        return {name: p.live for name, p in self.providers.items()}

    def pool_full(self, provider: str) -> bool:
        p = self.providers[provider]
        return p.live >= p.pool

    def offer(self, task: TaskState, provider: str) -> Offer:
        """A dispatch as the provider sees it: refused when its pool or window is full (the latter counted)."""
        p = self.providers[provider]
        if p.live >= p.pool:
            return Offer.POOL_FULL
        if p.window_full(self.now):
            self.overruns += 1
            return Offer.WINDOW_FULL
        self._start(task, p)
        return Offer.STARTED

    def _start(self, task: TaskState, p: ProviderSim) -> None:
        spec, k = task.spec, task.attempt - 1
        p.live += 1
        p.starts.append(self.now)
        cost = self.prices[p.name][spec.complexity]
        self.cost += cost
        self.runs[p.name] += 1
        run = Run(task, p.name, cost, spec.luck[k] < SUCCESS[p.name][spec.complexity])
        self._push(self.now + timedelta(minutes=spec.minutes[k]), "end", run)

    def _push(self, at: datetime, kind: str, payload: Any = None) -> None:
        heapq.heappush(self.events, (at, next(self._seq), kind, payload))

    def run(self, strategy: Strategy) -> Result:
        started = time.perf_counter()
        for spec in self.specs:
            self._push(spec.at, "arrive", spec)
        while self.events:
            self.now = self.events[0][0]
            while self.events and self.events[0][0] == self.now:
                self._handle(*heapq.heappop(self.events)[2:], strategy)
            self._pass(strategy)
            if not self.events and self.pending:
                if self.now - START > GIVE_UP_AFTER:
                    break
                self._push(self.now + IDLE_TICK, "wake")
        return self._result(strategy.name, time.perf_counter() - started)

    def _handle(self, kind: str, payload: Any, strategy: Strategy) -> None:
        if kind == "arrive":
            self.pending.append(TaskState(payload))
        elif kind == "end":
            self._end(payload, strategy)

    def _end(self, run: Run, strategy: Strategy) -> None:
        self.providers[run.provider].live -= 1
        strategy.finished(run, self)
        task = run.task
        if run.success or task.attempt >= MAX_ATTEMPTS:
            task.solved, task.ended = run.success, self.now
            self.done.append(task)
            return
        task.attempt += 1
        task.previous = run.provider  # the reference profiles are named after their providers
        self.pending.append(task)

    def _pass(self, strategy: Strategy) -> None:
        still: list[TaskState] = []
        for task in self.pending:
            if task.sleep_until is not None and task.sleep_until > self.now:
                still.append(task)
                continue
            task.sleep_until = None
            wait = strategy.dispatch(task, self)
            if wait is None:
                task.unblock(self.now)
                continue
            self._wait(task, wait)
            still.append(task)
        self.pending = still

    def _wait(self, task: TaskState, wait: Wait) -> None:
        if wait.window:
            task.block(self.now)
        else:
            task.unblock(self.now)
        task.sleep_until = wait.sleep_until
        for at in (wait.sleep_until, wait.retry_at):
            if at is not None:
                self._push(at, "wake")

    def _result(self, name: str, seconds: float) -> Result:
        for task in self.pending:  # stuck: count what they have waited so far
            task.unblock(self.now)
        tasks = self.done + self.pending
        turnaround = [(t.ended - t.spec.at).total_seconds() / 3600 for t in self.done if t.ended is not None]
        return Result(name, len(self.specs), sum(t.solved for t in self.done), self.cost, self.overruns,
                      sum(t.blocked_seconds for t in tasks) / 3600, (self.now - START).total_seconds() / 86400,
                      sum(turnaround) / max(1, len(turnaround)), self.runs, seconds)


def _provider_sim(name: str, conf: ProviderConfig) -> ProviderSim:
    windows = [(w.limit, timedelta(seconds=w.seconds)) for w in conf.all_windows() if w.unit in (Unit.RUNS, Unit.REQUESTS)]
    return ProviderSim(name, conf.pool, windows)


# --------------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------------
class Chains:
    """The reference chains (rule chain, or cascade after a failed attempt) as provider names, quota ignored."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._memo: dict[tuple[WorkType, Complexity, int, str | None], list[str]] = {}

    def __call__(self, task: TaskState) -> list[str]:
        req = task.request
        key = (req.work_type, req.complexity, min(req.attempt, 2), req.previous_profile)
        if key not in self._memo:
            options, _, _ = self.router.chain(req)
            self._memo[key] = list(dict.fromkeys(o.provider or o.profile for o in options))
        return self._memo[key]


class Blind:
    """(a) and (b): one provider per attempt, no quota awareness; after a 429, back when the provider says."""

    def __init__(self, name: str, pick: Callable[[TaskState], str]) -> None:
        self.name, self.pick = name, pick

    def dispatch(self, task: TaskState, sim: Sim) -> Wait | None:
        provider = self.pick(task)
        offer = sim.offer(task, provider)
        if offer is Offer.STARTED:
            return None
        if offer is Offer.POOL_FULL:
            return Wait()
        return Wait(window=True, sleep_until=sim.providers[provider].reset_at(sim.now))

    def finished(self, run: Run, sim: Sim) -> None:
        pass


class LiteLLMStrategy:
    """(c): a real ``litellm.Router``; its custom provider serves a request by starting a simulated run.

    The app waits for a free pool slot of the chain's first provider (as LiteLLM's ``max_parallel_requests``
    semaphore would), then calls ``completion`` with the rest of the chain as request fallbacks. A provider
    whose window is full raises ``RateLimitError`` (an overrun: LiteLLM learns of a wall by hitting it); a
    fallback whose pool is full raises one too (LiteLLM's parallel-request limiter), so the next one is tried.
    When every provider refused, the task comes back at the earliest retry-after of the windows that refused.
    """

    name = "(c) litellm"

    def __init__(self, chains: Chains, sim: Sim) -> None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network: LiteLLM's bundled price map
        import litellm
        from litellm.exceptions import RateLimitError
        from litellm.llms.custom_llm import CustomLLM
        from litellm.router import Router as LiteLLMRouter
        from litellm.types.utils import ModelResponse

        for logger in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
            logging.getLogger(logger).setLevel(logging.CRITICAL)
        litellm.suppress_debug_info = True
        self.rate_limited, self.response = RateLimitError, ModelResponse
        self.chains, self.sim = chains, sim
        self.task: TaskState | None = None
        self.started: str | None = None
        self.refused_until: list[datetime] = []
        self.fell_back = 0  # dispatches a fallback served
        outer = self

        class SimulatedProvider(CustomLLM):
            def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
                return outer.serve(model)

        litellm.custom_provider_map = [{"provider": "overseer-sim", "custom_handler": SimulatedProvider()}]
        names = list(SUCCESS)
        self.router = LiteLLMRouter(
            model_list=[{"model_name": n, "litellm_params": {"model": f"overseer-sim/{n}"}, "model_info": {"id": n}} for n in names],
            num_retries=0, disable_cooldowns=True)  # cooldowns run on the wall clock, which the simulation does not use

    def serve(self, provider: str) -> Any:
        sim, task = self.sim, self.task
        assert task is not None
        offer = sim.offer(task, provider)
        if offer is Offer.STARTED:
            self.started = provider
            return self.response(model=provider, choices=[{"message": {"role": "assistant", "content": "done"}}])
        if offer is Offer.WINDOW_FULL:
            self.refused_until.append(sim.providers[provider].reset_at(sim.now))
        raise self.rate_limited(message=f"{provider}: {offer.value}", llm_provider="overseer-sim", model=provider)

    def dispatch(self, task: TaskState, sim: Sim) -> Wait | None:
        first, *rest = self.chains(task)
        if sim.pool_full(first):
            return Wait()
        self.task, self.refused_until, self.started = task, [], None
        try:
            response = self.router.completion(model=first, messages=[{"role": "user", "content": task.spec.id}],
                                              fallbacks=[{first: rest}] if rest else [])
        except self.rate_limited:
            return Wait(window=True, sleep_until=min(self.refused_until)) if self.refused_until else Wait()
        used = response._hidden_params["model_id"]
        assert used == self.started, f"LiteLLM reported {used}, but {self.started} served the request"
        self.fell_back += used != first
        return None

    def finished(self, run: Run, sim: Sim) -> None:
        pass


class OverseerStrategy:
    """(d): ``Router.decide`` over ``QuotaBook.view``, capacity taken with ``QuotaBook.acquire``, costs settled."""

    name = "(d) overseer"

    def __init__(self, config: OverseerConfig, sim: Sim) -> None:
        self.router = Router.from_config(config)
        self.ledger = InMemoryStore(clock=sim.clock)
        self.quota = QuotaBook(self.ledger, config.providers, clock=sim.clock)
        self.entries: dict[str, str] = {}  # task id -> its live run's ledger entry
        self._view: QuotaView | None = None
        self._decisions: dict[tuple[Any, ...], Decision] = {}
        self._at: datetime | None = None

    def _decide(self, task: TaskState, sim: Sim) -> Decision:
        if self._at != sim.now:  # a new instant: the windows may have moved
            self._forget(sim.now)
        req = task.request
        key = (req.work_type, req.complexity, req.attempt > 1, req.previous_profile)
        if key not in self._decisions:
            if self._view is None:
                self._view = self.quota.view(busy=sim.live())
            self._decisions[key] = self.router.decide(req, self._view)
        return self._decisions[key]

    def _forget(self, now: datetime | None) -> None:
        self._view, self._decisions, self._at = None, {}, now

    def dispatch(self, task: TaskState, sim: Sim) -> Wait | None:
        decision = self._decide(task, sim)
        for opt in decision.usable:
            entry = self.quota.acquire(opt.provider, kind=UsageKind.RUN, emergency=opt.emergency, profile=opt.profile,
                                       task_id=task.spec.id)
            if entry is None:
                continue
            self._forget(sim.now)
            if sim.offer(task, opt.provider or opt.profile) is Offer.STARTED:
                self.entries[task.spec.id] = entry.id
                return None
            self.ledger.cancel(entry.id)
        return Wait(window=decision.retry_at is not None or bool(decision.usable), retry_at=decision.retry_at)

    def finished(self, run: Run, sim: Sim) -> None:
        self.ledger.settle(self.entries.pop(run.task.spec.id), cost_usd=run.cost)
        self._forget(sim.now)

    def ledger_cost(self) -> float:
        return sum(e.cost_usd for e in self.ledger.usage_entries())


# --------------------------------------------------------------------------------------------------
# Running and reporting
# --------------------------------------------------------------------------------------------------
def simulate(specs: Sequence[Spec], config: OverseerConfig, prices: Prices, which: str = "abcd") -> Iterator[tuple[Result, str]]:
    """Each strategy's result, with a note (the Overseer ledger's own total)."""
    chains = Chains(Router.from_config(config))
    for key in which:
        sim = Sim(specs, config, prices)
        strategy: Strategy
        if key == "a":
            strategy = Blind("(a) strongest", lambda _task: STRONGEST)
        elif key == "b":
            strategy = Blind("(b) static rules", lambda task: chains(task)[0])
        elif key == "c":
            strategy = LiteLLMStrategy(chains, sim)
        else:
            strategy = OverseerStrategy(config, sim)
        yield sim.run(strategy), _note(strategy)


def _note(strategy: Strategy) -> str:
    if isinstance(strategy, OverseerStrategy):
        return f"ledger total ${strategy.ledger_cost():.2f}"
    if isinstance(strategy, LiteLLMStrategy):
        return f"{strategy.fell_back} dispatches served by a fallback"
    return ""


def describe(seed: int, n: int, config: OverseerConfig, prices: Prices, plan_use: float) -> None:
    log(f"routing benchmark: {n} tasks over {DAYS} simulated days from {START:%Y-%m-%d}, seed {seed}, at most {MAX_ATTEMPTS} attempts")
    log("work types:   " + ", ".join(f"{w.value} {p:.0%}" for w, p in WORK_MIX.items()))
    log("complexities: " + ", ".join(f"{c.value} {p:.0%}" for c, p in COMPLEXITY_MIX.items())
        + "; run length (min, mean) " + ", ".join(f"{c.value} {m:g}" for c, m in RUN_MINUTES.items())
        + f", log-normal sigma {DURATION_SIGMA}")
    log("arrivals: uniform over the days, 3x as many per hour 08-20 UTC as at night")
    log("")
    log(f"{'provider':<11}{'kind':<13}{'windows':<16}{'reserve':>8}{'pool':>5}   {'P(solve) s/m/c':<17}{'$ per run s/m/c'}")
    for name, conf in config.providers.items():
        windows = ", ".join(f"{w.limit:g} {w.unit.value}/{w.name}" for w in conf.all_windows()) or "-"
        odds = "/".join(f"{SUCCESS[name][c]:.2f}" for c in RUN_MINUTES)
        cost = "/".join(f"{prices[name][c]:.4f}" for c in RUN_MINUTES)
        log(f"{name:<11}{conf.kind.value:<13}{windows:<16}{conf.buffer_percent:>7g}%{conf.pool:>5}   {odds:<17}{cost}")
    log("prices: API = tokens per run (in/out " + ", ".join(f"{c.value} {i // 1000}k/{o // 1000}k" for c, (i, o) in TOKENS_PER_RUN.items())
        + ") x $/Mtok " + ", ".join(f"{p} {i}/{o}" for p, (i, o) in API_USD_PER_MTOK.items()) + ";")
    log("        subscription = monthly fee (" + ", ".join(f"{p} ${f:g}" for p, f in PLAN_USD_PER_MONTH.items())
        + f") / (runs its window allows in 30 days x {plan_use:g}, the share of them used)")
    log("a 429 costs nothing; every run started costs its price, solved or not")
    log("")


def report(results: Sequence[Result], notes: Sequence[str]) -> None:
    log(f"{'strategy':<18}{'$/solved':>9}{'solve %':>9}{'solved':>8}{'total $':>9}{'overruns':>10}{'blocked h':>10}{'days':>6}"
        f"{'turn h':>7}{'sim s':>7}   runs by provider")
    for r, note in zip(results, notes, strict=True):
        runs = " ".join(f"{p}={n}" for p, n in sorted(r.runs.items()))
        log(f"{r.name:<18}{r.cost_per_solved:>9.4f}{r.solve_rate:>9.1f}{r.solved:>8}{r.cost:>9.2f}{r.overruns:>10}"
            f"{r.blocked_hours:>10.1f}{r.makespan_days:>6.1f}{r.turnaround_hours:>7.1f}{r.seconds:>7.1f}   {runs}"
            + (f"  ({note})" if note else ""))
    log("blocked h: hours tasks spent held by a full window (after a 429, or (d) waiting with every option held by one);")
    log("days: start of the week to the last run's end; turn h: mean hours from a task's arrival to the end of its last run")


def figures(results: Sequence[Result]) -> dict[str, float]:
    a, b, c, d = results
    return {
        "cost_ratio_vs_strongest": d.cost_per_solved / a.cost_per_solved,
        "solve_delta_pts": d.solve_rate - a.solve_rate,
        "overruns": d.overruns,
        "cost_ratio_vs_static": d.cost_per_solved / b.cost_per_solved,
        "cost_ratio_vs_litellm": d.cost_per_solved / c.cost_per_solved,
    }


TARGETS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "cost_ratio_vs_strongest": ("<= 0.60 (40 % cheaper)", lambda v: v <= 0.60),
    "solve_delta_pts": (">= -2.0", lambda v: v >= -2.0),
    "overruns": ("== 0", lambda v: v == 0),
    "cost_ratio_vs_static": ("< 1.00", lambda v: v < 1.0),
    "cost_ratio_vs_litellm": ("< 1.00", lambda v: v < 1.0),
}


def _fmt(name: str, value: float) -> str:
    return str(int(value)) if name == "overruns" else f"{value:.1f}" if name == "solve_delta_pts" else f"{value:.2f}"


def check(found: Mapping[str, float]) -> bool:
    log("")
    log(f"{'target (d) overseer':<26}{'measured':>10}  {'target':<24}verdict")
    met = True
    for name, (text, ok) in TARGETS.items():
        good = ok(found[name])
        met &= good
        log(f"{name:<26}{_fmt(name, found[name]):>10}  {text:<24}{'met' if good else 'MISSED'}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the workload generator's seed")
    ap.add_argument("--tasks", type=int, default=DEFAULT_TASKS, help="tasks arriving over the week")
    ap.add_argument("--plan-use", type=float, default=PLAN_USE,
                    help="share of a subscription window's monthly runs its fee is spread over (default 1.0: all of them)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    config = OverseerConfig()
    prices = run_prices(config.providers, args.plan_use)
    describe(args.seed, args.tasks, config, prices, args.plan_use)
    specs = generate(args.tasks, args.seed)
    results, notes = [], []
    for result, note in simulate(specs, config, prices):
        results.append(result)
        notes.append(note)
    report(results, notes)
    found = figures(results)
    met = check(found)
    print("BENCH routing " + " ".join(f"{k}={_fmt(k, v)}" for k, v in found.items()), flush=True)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
