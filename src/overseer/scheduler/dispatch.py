"""Routing tasks to profiles within quota: what the supervisor loop asks before it starts a run, and tells after.

A task pinned to a profile (``--profile``, or ``runtime.default_profiles`` for its work type) goes to that profile
when its provider can take it; any other task is routed by the policy. The chosen option's capacity is taken from
the ledger atomically (a later option of the chain is tried when the window filled meanwhile); the run's real
tokens and dollars settle the entry when it ends, priced from the harness's own figure or the price book.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from overseer.config import OverseerConfig
from overseer.config.providers import MODES
from overseer.domain import Task, ValidationError
from overseer.domain.runs import ExitReason, Run
from overseer.domain.usage import UsageEntry, UsageKind
from overseer.ports import PriceBook
from overseer.scheduler.quota import QuotaBook
from overseer.scheduler.router import Decision, Option, QuotaView, Router, RouteRequest


@dataclass(frozen=True)
class Taken:
    option: Option
    entry: UsageEntry
    decision: Decision

    def event_data(self) -> dict[str, object]:
        data = self.decision.dict()
        data.update(profile=self.option.profile, provider=self.option.provider, emergency=self.entry.emergency)
        if self.option != self.decision.option:
            data["reason"] = f"{self.option.profile}: the window of {self.decision.profile} filled meanwhile; {self.decision.reason}"
        return data


class TaskRouting:
    def __init__(self, config: OverseerConfig, quota: QuotaBook, prices: PriceBook | None = None, *, mode: str | None = None) -> None:
        if mode is not None and mode not in MODES:
            raise ValidationError("mode", f"unknown routing mode {mode!r} (modes: {', '.join(MODES)})")
        self.config, self.quota, self.prices, self.mode = config, quota, prices, mode
        self.router = Router.from_config(config)

    def pinned(self, task: Task) -> str | None:
        return task.profile or self.config.runtime.default_profiles.get(task.work_type)

    def route(self, task: Task, view: QuotaView, last_run: Run | None = None) -> Decision:
        """Where ``task`` goes now. A failed ``last_run`` sends it up the cascade from that run's profile; a rate-limited
        one said nothing of the task's difficulty, so the task is routed by its rule again."""
        pin = self.pinned(task)
        if pin is None:
            previous = last_run.profile if last_run is not None and last_run.exit_reason != ExitReason.RATE_LIMITED else None
            req = RouteRequest(task.work_type, task.complexity, attempt=task.attempts + 1, previous_profile=previous, mode=self.mode)
            return self.router.decide(req, view)
        prof = self.config.profiles.get(pin)
        if prof is None:
            return Decision((), f"unknown profile {pin!r} (profiles: {', '.join(sorted(self.config.profiles))})")
        opt = Option(pin, prof.provider)
        why = Router.why_not(opt, view)
        if why is not None:
            state = view.state(prof.provider)
            return Decision((), f"waiting (pinned to {pin}): {why}", retry_at=state.parked_until or state.resets_at)
        return Decision((opt,), f"{pin}: pinned")

    def take(self, task: Task, decision: Decision, run_id: str) -> Taken | None:
        """Acquire capacity for the first usable option that still fits; None when none does any more."""
        for opt in decision.usable:
            entry = self.quota.acquire(opt.provider, kind=UsageKind.RUN, emergency=opt.emergency,
                                       profile=opt.profile, model=self.config.profiles[opt.profile].model, task_id=task.id, run_id=run_id)
            if entry is not None:
                return Taken(opt, entry, decision)
        return None

    def settle(self, entry_id: str, *, model: str | None, tokens_in: int, tokens_out: int, reported_cost: float, turns: int) -> float:
        """Put a finished run's figures on its ledger entry; the dollars are the harness's own, else priced from tokens."""
        cost = reported_cost
        if cost <= 0 and model and self.prices is not None and (tokens_in or tokens_out):
            cost = self.prices.cost(model, tokens_in, tokens_out) or 0.0
        self.quota.ledger.settle(entry_id, requests=max(1, turns), tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost, model=model)
        return cost

    def task_cost(self, task_id: str) -> float:
        return sum(row.cost_usd for row in self.quota.ledger.cost_totals("task", task_id=task_id))

    def busy(self, live: Mapping[str, str | None]) -> dict[str, int]:
        """Live runs per provider, from {run id: provider}."""
        return dict(Counter(p for p in live.values() if p is not None))
