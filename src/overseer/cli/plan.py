"""``overseer plan "REQUEST"``, ``plan show ID``, ``plan list`` and ``plan run-queue``: review -> plan -> approve phases.

``overseer plan "REQUEST"`` is ``overseer plan new "REQUEST"``: a first word that names no sub-command is the request.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text
from rich.tree import Tree
from typer.core import TyperGroup

from overseer.bootstrap import open_planner
from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, err, out, supervisor
from overseer.cli.render import status
from overseer.planning import PlanOutcome, PlanQueue, PlanView, list_plans, load_plan, queue_path
from overseer.service import Supervisor


class _PlanGroup(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["new", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_PlanGroup, no_args_is_help=True,
                  help='Review -> plan -> execute: `overseer plan "REQUEST"` plans the request as an epic of phases, each waiting '
                       "for `overseer approve PHASE`.")

ModeOpt = Annotated[str | None, typer.Option("--mode", help="frugal, balanced, performance or max: how tasks are routed for the "
                                                            "estimate (default: routing.mode).")]


@app.command("new")
def new(
    request: Annotated[str, typer.Argument(metavar="REQUEST", help="What you want built, in words.")],
    mode: ModeOpt = None,
    budget: Annotated[float | None, typer.Option("--budget", min=0, help="Refuse a plan whose billed estimate is above this "
                                                                         "many dollars (default: planning.max_cost_usd).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Store the plan even when it is over the budget.")] = False,
    queue: Annotated[bool, typer.Option("--queue", help="Line the request up for `overseer plan run-queue` instead.")] = False,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Review the codebase, ask the planning model for phases of tasks, estimate them, and store the plan with every phase
    held for approval (nothing is stored when the plan is invalid twice, or over the budget without --force)."""
    with supervisor(as_json, repo) as sup:
        if queue:
            entry = PlanQueue(queue_path(sup.root)).add(request, mode=mode, budget=budget, force=force)
            if as_json:
                emit_json(entry.dict())
            else:
                out.print(f"queued {entry.id}: `overseer plan run-queue` plans it")
            return
        outcome = open_planner(sup, mode=mode, actor=actor()).plan(request, budget=budget, force=force)
        view = load_plan(sup, outcome.stored.epic.id) if outcome.stored else None
    if as_json:
        emit_json(outcome.dict())
    elif view is not None:
        out.print(plan_tree(view))
        out.print(f"approve phase 1: overseer approve {view.phases[0].epic.id}    (edit its tasks first with `overseer task update`)")
    else:
        out.print(draft_tree(outcome))
    if outcome.stored is None:
        est = outcome.draft.estimate
        err.print(f"not stored: the billed estimate {_usd(est.billed_usd)} is over the {_usd(outcome.limit_usd or 0)} budget "
                  "(--budget to raise it, --force to store anyway)")
        raise typer.Exit(1)


@app.command("show")
def show(plan_id: Annotated[str, typer.Argument(metavar="ID", help="A plan's epic (or one of its phases).")],
         as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """The plan as a tree: phases with status, gate and estimate; tasks with complexity, work type, profile, cost and deps."""
    with supervisor(as_json, repo) as sup:
        view = load_plan(sup, plan_id)
    if as_json:
        emit_json(view.dict())
    else:
        out.print(plan_tree(view))


@app.command("list")
def list_(as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Plans, newest first, and the requests waiting in the queue."""
    with supervisor(as_json, repo) as sup:
        plans = [_summary(sup, p.id) for p in list_plans(sup)]
        queued = [e.dict() for e in PlanQueue(queue_path(sup.root)).entries()]
    if as_json:
        emit_json({"plans": plans, "queue": queued})
        return
    for p in plans:
        est = p["estimate"] or {}
        out.print(Text.assemble((str(p["id"]), "bold"), "  ", status(str(p["status"])), f"  {p['title']}  ",
                                (f"{p['phases']} phases, {p['waiting']} waiting, ~{est.get('minutes', '?')} min, "
                                 f"${est.get('cost_usd', 0):.2f}", "dim")))
    for q in queued:
        out.print(f"{q['id']}  {q['status']}  {q['request'][:80]}" + (f"  -> {q['plan_id']}" if q["plan_id"] else "")
                  + (f"  ({q['error']})" if q["error"] else ""))
    if not plans and not queued:
        out.print('no plans yet: overseer plan "REQUEST"')


@app.command("run-queue")
def run_queue(as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Plan every queued request, one after another (what an overnight cron or `overseer serve` calls)."""
    with supervisor(as_json, repo) as sup:
        who = actor()
        done = PlanQueue(queue_path(sup.root)).run(
            lambda e: open_planner(sup, mode=e.mode, actor=who).plan(e.request, budget=e.budget, force=e.force))
    if as_json:
        emit_json([e.dict() for e in done])
        return
    for e in done:
        out.print(f"{e.id}: {e.status}" + (f" -> {e.plan_id}" if e.plan_id else "") + (f" ({e.error})" if e.error else ""))
    if not done:
        out.print("the queue is empty")


def _summary(sup: Supervisor, plan_id: str) -> dict[str, Any]:
    view = load_plan(sup, plan_id)
    return {"id": view.epic.id, "title": view.epic.title, "status": view.epic.status.value, "estimate": view.meta.get("estimate"),
            "phases": len(view.phases), "waiting": sum(1 for p in view.phases if p.gate == "waiting"),
            "created_at": view.epic.created_at.isoformat()}


# -- rendering ---------------------------------------------------------------------------------------------------------

def _usd(value: float) -> str:
    return f"${value:,.2f}" if value == 0 or value >= 0.01 else f"${value:.2g}"


def _money(est: Any) -> str:
    if not est:
        return ""
    cost = est.get("cost_usd")
    billed = est.get("billed_usd")
    text = "unpriced" if cost is None else f"${cost:.2f}"
    if billed is not None and billed != cost:
        text += f" (billed ${billed:.2f})"
    return text


def plan_tree(view: PlanView) -> Tree:
    est = view.meta.get("estimate") or {}
    root = Tree(Text.assemble((f"{view.epic.id} ", "bold"), view.epic.title, "  ", status(view.epic.status.value),
                              (f"  ~{est.get('minutes', '?')} min, {_money(est)}", "dim")))
    for phase in view.phases:
        pe = phase.estimate
        gate = {"waiting": ("waiting for approval", "yellow"), "released": ("released", "green"), "rejected": ("rejected", "red")}
        label, colour = gate[phase.gate]
        done = phase.counts().get("done", 0)
        branch = root.add(Text.assemble((f"{phase.epic.id} ", "bold"), phase.epic.title, "  ", status(phase.epic.status.value),
                                        "  gate: ", (label, colour), f"  {done}/{len(phase.tasks)} done",
                                        (f"  ~{pe.get('minutes', '?')} min, {_money(pe)}", "dim")))
        for tv in phase.tasks:
            t, te = tv.task, tv.estimate
            cost = "unpriced" if te.get("cost_usd") is None else f"${te['cost_usd']:.2f}"
            deps = ", ".join(tv.blocked_by) or "-"
            branch.add(Text.assemble((f"{t.id} ", "bold"), t.title, "  ", status(t.status.value), (" held" if t.hold else "", "yellow"),
                                     (f"  {t.complexity.value}/{t.work_type.value}  {te.get('profile') or '?'}  {cost}  "
                                      f"after: {deps}", "dim")))
    return root


def draft_tree(outcome: PlanOutcome) -> Tree:
    d = outcome.draft
    root = Tree(Text.assemble(("plan (not stored) ", "bold"), d.request[:100],
                              (f"  ~{d.estimate.minutes} min, ${d.estimate.cost_usd:.2f} (billed ${d.estimate.billed_usd:.2f})", "dim")))
    for phase, pe in zip(d.plan.phases, d.estimate.phases, strict=True):
        branch = root.add(Text.assemble((f"Phase {pe.number}: ", "bold"), phase.title,
                                        (f"  ~{pe.minutes} min, ${pe.cost_usd:.2f} (billed ${pe.billed_usd:.2f})", "dim")))
        for task, te in zip(phase.tasks, pe.tasks, strict=True):
            cost = "unpriced" if te.cost_usd is None else f"${te.cost_usd:.2f}"
            branch.add(Text.assemble(task.title, (f"  {te.complexity}/{te.work_type}  {te.profile or '?'}  {cost}  after: "
                                                  f"{', '.join(task.depends_on) or '-'}", "dim")))
    return root
