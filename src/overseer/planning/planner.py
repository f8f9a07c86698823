"""``Planner``: review -> plan -> estimate -> store, the use case behind ``overseer plan "REQUEST"``.

The codebase review and the request go to the planning model through the gateway (a ``planning`` call, routed, metered).
Its reply must be a plan that passes ``schema.check_plan``; if not, the model is asked once more with the problems, and a
second failure raises ``PlanError`` carrying them. Nothing is stored until a plan passed and its estimate fits the budget
(``planning.max_cost_usd`` or ``--budget``; ``force`` stores it anyway).
"""

from __future__ import annotations

from dataclasses import dataclass

from overseer.domain import ValidationError
from overseer.domain.errors import PlanError
from overseer.planning.epics import PlanRecord, StoredPlan, store_plan
from overseer.planning.estimate import Estimator, PlanEstimate
from overseer.planning.prompt import plan_messages, retry_messages
from overseer.planning.review import Review, review_codebase
from overseer.planning.schema import Plan, PlanInvalid, read_plan
from overseer.ports import ModelCall, ModelGateway, ModelReply
from overseer.service import Supervisor

__all__ = ["Draft", "PlanOutcome", "Planner"]


@dataclass(frozen=True)
class Draft:
    """A plan that passed its schema, with its estimate: nothing stored yet."""

    request: str
    plan: Plan
    estimate: PlanEstimate
    review: Review
    reply: ModelReply
    attempts: int
    mode: str | None


@dataclass(frozen=True)
class PlanOutcome:
    draft: Draft
    stored: StoredPlan | None
    limit_usd: float | None

    @property
    def over_budget(self) -> bool:
        return self.limit_usd is not None and self.draft.estimate.billed_usd > self.limit_usd

    def dict(self) -> dict[str, object]:
        d, r = self.draft, self.draft.reply
        phases = [{"title": p.title, "goal": p.goal, "tasks": [t.model_dump(mode="json") for t in p.tasks]} for p in d.plan.phases]
        return {"stored": self.stored is not None, "id": self.stored.epic.id if self.stored else None,
                "phase_ids": [p.id for p in self.stored.phases] if self.stored else [],
                "over_budget": self.over_budget, "limit_usd": self.limit_usd, "request": d.request, "summary": d.plan.summary,
                "phases": phases, "estimate": d.estimate.dict(), "review": d.review.dict(), "attempts": d.attempts, "mode": d.mode,
                "model": {"profile": r.profile, "model": r.model, "tokens_in": r.tokens_in, "tokens_out": r.tokens_out,
                          "cost_usd": r.cost_usd}}


class Planner:
    def __init__(self, sup: Supervisor, gateway: ModelGateway, estimator: Estimator, *, actor: str, mode: str | None = None) -> None:
        self.sup, self.gateway, self.estimator, self.actor, self.mode = sup, gateway, estimator, actor, mode
        self.config = sup.config.planning

    def review(self, request: str) -> Review:
        return review_codebase(self.sup.root, request, budget=self.config.review_token_budget,
                               test_command=self.sup.config.verify.tests.command)

    def draft(self, request: str) -> Draft:
        """Ask for a plan (and once more with the problems if it fails its schema); raises ``PlanError`` after two failures."""
        if not request.strip():
            raise ValidationError("request", "is empty: say what you want built")
        review = self.review(request)
        messages = plan_messages(request, review)
        reply = self._ask(messages)
        try:
            plan, attempts = read_plan(reply.text), 1
        except PlanInvalid as first:
            reply = self._ask(retry_messages(messages, reply.text, first.problems))
            try:
                plan, attempts = read_plan(reply.text), 2
            except PlanInvalid as second:
                raise PlanError("the planning model's plan failed validation twice (the second time told what was wrong); "
                                "nothing was stored. Try again, or make the request more specific", second.problems) from None
        return Draft(request, plan, self.estimator.estimate(plan), review, reply, attempts, self.mode)

    def _ask(self, messages: list[dict[str, str]]) -> ModelReply:
        return self.gateway.complete(ModelCall(messages, work_type="planning", complexity=self.config.complexity.value,
                                               purpose="plan", max_tokens=self.config.max_reply_tokens, profile=self.config.profile))

    def limit(self, budget: float | None) -> float | None:
        return budget if budget is not None else self.config.max_cost_usd

    def store(self, draft: Draft) -> StoredPlan:
        record = PlanRecord(draft.request, draft.plan, draft.estimate, draft.review, draft.mode,
                            {"profile": draft.reply.profile, "model": draft.reply.model}, draft.attempts)
        return store_plan(self.sup, record, actor=self.actor)

    def plan(self, request: str, *, budget: float | None = None, force: bool = False) -> PlanOutcome:
        """Draft a plan and store it, unless its billed estimate is over the budget (then it is only reported) and not ``force``."""
        draft = self.draft(request)
        outcome = PlanOutcome(draft, None, self.limit(budget))
        if outcome.over_budget and not force:
            return outcome
        return PlanOutcome(draft, self.store(draft), outcome.limit_usd)
