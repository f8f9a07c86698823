"""Review -> plan -> execute: ``overseer plan "REQUEST"`` turns a request into an epic of phases, each behind an approval gate.

- ``review``: the codebase packed for the planning model within a token budget (``survey`` finds languages, tests, conventions);
- ``schema``: what a plan must look like, and the checks beyond the schema (unique keys, dependencies in order, no loop);
- ``estimate``: each task routed and priced as the supervisor would run it; phase and plan totals;
- ``planner``: the use case — ask, validate, retry once with the problems, estimate, check the budget, store;
- ``epics`` and ``view``: the plan written to the task graph (never half-stored) and read back;
- ``queue``: requests lined up for an overnight run.
"""

from overseer.planning.epics import StoredPlan, phase_hold
from overseer.planning.estimate import Estimator, PlanEstimate
from overseer.planning.planner import Draft, Planner, PlanOutcome
from overseer.planning.queue import PlanQueue, Queued, queue_path
from overseer.planning.review import Review, review_codebase
from overseer.planning.schema import Plan, PlanInvalid, check_plan, read_plan
from overseer.planning.view import PhaseView, PlanView, list_plans, load_phase, load_plan, plan_summary

__all__ = [
    "Draft",
    "Estimator",
    "PhaseView",
    "Plan",
    "PlanEstimate",
    "PlanInvalid",
    "PlanOutcome",
    "PlanQueue",
    "PlanView",
    "Planner",
    "Queued",
    "Review",
    "StoredPlan",
    "check_plan",
    "list_plans",
    "load_phase",
    "load_plan",
    "phase_hold",
    "plan_summary",
    "queue_path",
    "read_plan",
    "review_codebase",
]
