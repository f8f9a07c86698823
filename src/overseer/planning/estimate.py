"""What a plan will take: each task routed as the supervisor would route it now (profile, provider, model), priced from
the price map with a token estimate by complexity, and timed by complexity; phase and plan totals.

The figures are assumptions, stated here so a person can weigh them: one attempt per task (a retry costs about as much
again), the verification review call not counted, and these tokens and minutes per agent run. A phase takes the longer of
its critical path (its dependency chain) and its work spread over ``runtime.max_parallel`` runs; phases run one after another.
Dollars are "billed" when the task's provider is paid per token (``kind: api``); subscription and local providers show
the price-map equivalent but bill nothing per run, so the budget check counts only billed dollars.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from overseer.domain import Complexity, Task
from overseer.domain.usage import ProviderKind
from overseer.planning.schema import Plan, PlanTask, TaskRef
from overseer.ports import PriceBook
from overseer.scheduler.dispatch import TaskRouting
from overseer.scheduler.router import QuotaView, RouteRequest

__all__ = ["MINUTES", "TOKENS", "Estimator", "PhaseEstimate", "PlanEstimate", "TaskEstimate", "assumptions"]

#: Tokens (in, out) an agent run of each complexity takes, on average.
TOKENS: dict[Complexity, tuple[int, int]] = {
    Complexity.SIMPLE: (20_000, 4_000),
    Complexity.MEDIUM: (60_000, 12_000),
    Complexity.COMPLEX: (150_000, 30_000),
}
#: Wall-clock minutes of one run, verification included.
MINUTES: dict[Complexity, int] = {Complexity.SIMPLE: 10, Complexity.MEDIUM: 25, Complexity.COMPLEX: 60}


def assumptions() -> dict[str, object]:
    return {"tokens": {c.value: {"in": t[0], "out": t[1]} for c, t in TOKENS.items()},
            "minutes": {c.value: m for c, m in MINUTES.items()}, "attempts_per_task": 1, "review_calls_counted": False}


@dataclass(frozen=True)
class TaskEstimate:
    ref: str
    complexity: str
    work_type: str
    profile: str | None
    provider: str | None
    model: str | None
    billed: bool              # the provider is paid per token
    tokens_in: int
    tokens_out: int
    cost_usd: float | None    # None: the model is not in the price map
    minutes: int
    route: str                # the routing decision's reason

    def dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class PhaseEstimate:
    number: int
    tasks: tuple[TaskEstimate, ...]
    minutes: int

    @property
    def cost_usd(self) -> float:
        return sum(t.cost_usd or 0.0 for t in self.tasks)

    @property
    def billed_usd(self) -> float:
        return sum(t.cost_usd or 0.0 for t in self.tasks if t.billed)

    @property
    def unpriced(self) -> int:
        return sum(1 for t in self.tasks if t.cost_usd is None)

    def totals(self) -> dict[str, object]:
        return {"cost_usd": round(self.cost_usd, 4), "billed_usd": round(self.billed_usd, 4), "minutes": self.minutes,
                "unpriced": self.unpriced}


@dataclass(frozen=True)
class PlanEstimate:
    phases: tuple[PhaseEstimate, ...]

    @property
    def cost_usd(self) -> float:
        return sum(p.cost_usd for p in self.phases)

    @property
    def billed_usd(self) -> float:
        return sum(p.billed_usd for p in self.phases)

    @property
    def minutes(self) -> int:
        return sum(p.minutes for p in self.phases)

    @property
    def unpriced(self) -> int:
        return sum(p.unpriced for p in self.phases)

    def totals(self) -> dict[str, object]:
        return {"cost_usd": round(self.cost_usd, 4), "billed_usd": round(self.billed_usd, 4), "minutes": self.minutes,
                "unpriced": self.unpriced}

    def dict(self) -> dict[str, object]:
        return {**self.totals(), "assumptions": assumptions(),
                "phases": [{"number": p.number, **p.totals(), "tasks": [t.dict() for t in p.tasks]} for p in self.phases]}


class Estimator:
    def __init__(self, routing: TaskRouting, prices: PriceBook | None, *, max_parallel: int = 1) -> None:
        self.routing, self.prices, self.max_parallel = routing, prices, max(1, max_parallel)

    def estimate(self, plan: Plan) -> PlanEstimate:
        view = self.routing.quota.view()
        deps = plan.dependencies()
        phases = []
        for p, phase in enumerate(plan.phases):
            tasks = tuple(self.task(t, view) for t in phase.tasks)
            phases.append(PhaseEstimate(p + 1, tasks, self._minutes(p, tasks, deps)))
        return PlanEstimate(tuple(phases))

    def task(self, task: PlanTask, view: QuotaView) -> TaskEstimate:
        profile, reason = self._route(task, view)
        prof = self.routing.config.profiles.get(profile) if profile else None
        provider = prof.provider if prof else None
        model = (prof.model or prof.options.get("litellm_model")) if prof else None
        kind = self.routing.config.providers[provider].kind if provider in self.routing.config.providers else None
        tokens_in, tokens_out = TOKENS[task.complexity]
        cost = self.prices.cost(str(model), tokens_in, tokens_out) if model and self.prices is not None else None
        return TaskEstimate(task.ref, task.complexity.value, task.work_type.value, profile, provider, str(model) if model else None,
                            kind in (ProviderKind.API, None) and cost is not None, tokens_in, tokens_out,
                            None if cost is None else round(cost, 6), MINUTES[task.complexity], reason)

    def _route(self, task: PlanTask, view: QuotaView) -> tuple[str | None, str]:
        """The profile the task would get now; when every option waits for quota, the first of its chain (it will run there
        once the window has room)."""
        probe = Task(id="ov-plan", title=task.title, work_type=task.work_type, complexity=task.complexity)
        decision = self.routing.route(probe, view)
        if decision.profile is not None:
            return decision.profile, decision.reason
        options, _, _ = self.routing.router.chain(RouteRequest(task.work_type, task.complexity, mode=self.routing.mode))
        if options:
            return options[0].profile, f"{options[0].profile}: first of its chain ({decision.reason})"
        return None, decision.reason

    def _minutes(self, phase: int, tasks: tuple[TaskEstimate, ...], deps: dict[TaskRef, tuple[TaskRef, ...]]) -> int:
        """The longer of the phase's critical path and its work spread over the parallel runs."""
        finish: dict[int, int] = {}

        def end(t: int) -> int:
            if t not in finish:
                before = [end(d[1]) for d in deps.get((phase, t), ()) if d[0] == phase]
                finish[t] = max(before, default=0) + tasks[t].minutes
            return finish[t]

        path = max((end(t) for t in range(len(tasks))), default=0)
        spread = -(-sum(t.minutes for t in tasks) // self.max_parallel)
        return max(path, spread)
