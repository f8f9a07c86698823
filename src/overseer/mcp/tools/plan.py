"""``plan_request``: review -> plan -> store, the use case behind ``overseer plan "REQUEST"`` (``overseer.planning``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field, StringConstraints

from overseer.api.schemas import NO_NUL
from overseer.bootstrap import open_planner
from overseer.mcp.tooling import add, caller
from overseer.planning import load_plan
from overseer.service import Supervisor

Mode = Literal["frugal", "balanced", "performance", "max"]  # config.providers.MODES


def register(server: MCPServer, sup: Supervisor) -> None:
    def plan_request(
        ctx: Context,
        request: Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=NO_NUL),
                           Field(description="What should be built, in words: the goal, constraints, what done looks like.")],
        mode: Annotated[Mode | None, Field(description="How the tasks are routed for the estimate (default: routing.mode): "
                                                       "frugal is cheapest, max the strongest models.")] = None,
        budget_usd: Annotated[float | None, Field(ge=0, description="Refuse to store a plan whose billed estimate is above "
                                                                    "this (default: planning.max_cost_usd).")] = None,
        force: Annotated[bool, Field(description="Store the plan even when it is over the budget.")] = False,
    ) -> dict[str, Any]:
        """Plan a large request: the planning model reviews the codebase and splits the request into phases of tasks, each
        task estimated (routing, time, cost); the plan is stored as an epic whose phases each wait for approval.

        Use this for work too big for one task (a feature across several files, a migration, a refactor in stages). Then
        show the plan to the person you work for; a phase starts only when it is approved (approve with its id from
        `phase_ids`). Do not use it for a single task (use task_create). `stored` is false when the plan was over the
        budget: nothing was written, and the plan and its estimate are in the result. Takes as long as a model call.
        """
        outcome = open_planner(sup, mode=mode, actor=caller(ctx)).plan(request, budget=budget_usd, force=force)
        result = outcome.dict()
        result["plan"] = load_plan(sup, outcome.stored.epic.id).dict() if outcome.stored else None
        return result

    add(server, plan_request, title="Plan a request", open_world=True)
