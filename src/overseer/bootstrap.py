"""The one place concrete adapters are chosen: config in, a ready ``Supervisor`` out."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

from overseer.agents.registry import find_binary, get_harness, harness_version, known_harnesses
from overseer.audit import Auditor
from overseer.audit.auditor import OnState
from overseer.audit.watch import FileChanges
from overseer.config import STATE_DIR, database_url, find_root, load_config
from overseer.domain import OverseerError, ValidationError
from overseer.domain.runs import RunStatus
from overseer.gate import Approvals, Gatekeeper, Retrospective
from overseer.knowledge import Brain
from overseer.llm import LiteLLMPrices, LiteLLMTransport
from overseer.notify import AppriseNotifier
from overseer.planning import Estimator, Planner
from overseer.ports import KnowledgeStore, ModelGateway, Notifier, PriceBook, RunStore, UsageLedger
from overseer.runner import Runner, RunnerState, profile_options
from overseer.runtime.commits import GitCommitLog
from overseer.runtime.executor import LocalExecutor
from overseer.runtime.integration import GitIntegrator
from overseer.scheduler import QuotaBook
from overseer.scheduler.dispatch import TaskRouting
from overseer.scheduler.gateway import RoutedGateway
from overseer.service import Supervisor
from overseer.skills import Catalog, EventLogHistory, SkillRunner
from overseer.store.memory import InMemoryStore
from overseer.store.sql.store import SqlStore
from overseer.verify import build_stages
from overseer.verify.pipeline import Pipeline


def open_supervisor(root: Path | None = None) -> Supervisor:
    """Find the project, load ``overseer.yaml``, open (and migrate) the store it names."""
    root = find_root(root)
    config = load_config(root)
    url = database_url(config, root)
    if url.startswith("sqlite"):
        (root / STATE_DIR).mkdir(exist_ok=True)
    return Supervisor(SqlStore.from_url(url), config, root)


def ensure_state_dir(root: Path) -> Path:
    """``.overseer/``, git-ignored by its own .gitignore."""
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Overseer state: database, run logs, audit reports. Not for version control.\n*\n", encoding="utf-8")
    return state


def init_project(root: Path) -> dict[str, object]:
    """Create ``overseer.yaml`` (commented) and ``.overseer/`` (git-ignored by its own .gitignore), then the database."""
    from overseer.config import write_template

    root = root.resolve()
    wrote = write_template(root)
    state = ensure_state_dir(root)
    supervisor = open_supervisor(root)
    try:
        url = database_url(supervisor.config, root)
    finally:
        supervisor.close()
    return {"root": str(root), "config": str(root / "overseer.yaml"), "config_written": wrote, "state": str(state), "database": url}


# -- the agent runtime -------------------------------------------------------------------------------------

TOOLS_ENV = "OVERSEER_TOOLS_DIR"


def tool_dirs(root: Path) -> list[Path]:
    """Where agent CLIs installed by Overseer live, besides PATH: $OVERSEER_TOOLS_DIR, the project's and Overseer's ``.tools``."""
    bases = [Path(p) for p in os.environ.get(TOOLS_ENV, "").split(os.pathsep) if p]
    bases += [root / ".tools", Path(__file__).resolve().parents[2] / ".tools"]
    return [d for base in bases for d in (base / "bin", base / "node_modules" / ".bin") if d.is_dir()]


def make_executor(sup: Supervisor) -> LocalExecutor:
    dirs = tool_dirs(sup.root)
    return LocalExecutor(sup.root, sup.root / STATE_DIR, sup.config.runtime, get_harness, lambda h: find_binary(h, dirs))


def open_runner(sup: Supervisor, *, worker: str, on_change: Callable[[RunnerState], None] | None = None,
                mode: str | None = None, notifier: Notifier | None = None) -> Runner:
    executor, routing = make_executor(sup), task_routing(sup, mode=mode)
    gate = open_gatekeeper(sup, actor=worker, executor=executor, notifier=notifier, routing=routing)
    return Runner(sup, run_store(sup), executor, routing, gate, worker=worker, on_change=on_change,
                  brain=open_brain(sup, actor=worker), retrospective=open_retrospective(sup, actor=worker))


def open_retrospective(sup: Supervisor, *, actor: str) -> Retrospective | None:
    """The retrospective after a task lands or fails (``knowledge.retrospective``): the retrospective skill through the
    routed gateway, its proposals into the knowledge store. None when ``off``: no model call, nothing changes."""
    if sup.config.knowledge.retrospective == "off":
        return None
    return Retrospective(sup, run_store(sup), open_skills(sup, actor=actor), open_brain(sup, actor=actor), actor=actor)


# -- verification, landing, notifications ----------------------------------------------------------------------

def make_notifier(sup: Supervisor) -> Notifier | None:
    """Apprise to the URLs of ``notify.urls`` (``${VAR}`` expanded now, so a missing one is an error at start); None
    when there are none."""
    cfg = sup.config.notify
    if not cfg.urls:
        return None
    try:
        return AppriseNotifier(cfg.urls, cfg.events, timeout_seconds=cfg.timeout_seconds)
    except ValueError as err:
        raise ValidationError("notify.urls", str(err)) from None


def open_gatekeeper(sup: Supervisor, *, actor: str, executor: LocalExecutor | None = None, notifier: Notifier | None = None,
                    routing: TaskRouting | None = None) -> Gatekeeper:
    """The verification pipeline of ``verify:``, the merge queue on this repository, the notifier of ``notify:``."""
    executor = executor or make_executor(sup)
    integrator = GitIntegrator(sup.root, sup.root / STATE_DIR / "landing")
    verify = sup.config.verify
    gateway = model_gateway(sup, actor=actor) if verify.review.enabled else None
    stages = build_stages(verify, gateway=gateway)
    retest = next((s for s in stages if s.name == "tests"), None)
    review = next((s for s in stages if s.name == "review"), None)
    base = sup.config.runtime.base_branch or integrator.current_branch()
    routing = routing or task_routing(sup)
    return Gatekeeper(sup, run_store(sup), integrator, Pipeline(stages), notifier or make_notifier(sup), actor=actor, base=base,
                      retest=retest, epic_review=review, discard=lambda run_id, delete: executor.discard(run_id, delete_branch=delete),
                      task_cost=routing.task_cost)


def open_approvals(sup: Supervisor, *, actor: str) -> Approvals:
    return Approvals(open_gatekeeper(sup, actor=actor))


# -- the commit auditor ---------------------------------------------------------------------------------------------

def open_auditor(sup: Supervisor, *, actor: str, on_state: OnState | None = None, notifier: Notifier | None = None) -> Auditor:
    """The auditor of ``sup.root`` with the verification stages (settings from ``verify:``, test timeout from ``audit:``)."""
    ensure_state_dir(sup.root)  # reports and scratch trees must never show up as the user's changes
    verify, audit = sup.config.verify, sup.config.audit
    tests = verify.tests.model_copy(update={"timeout_seconds": audit.test_timeout_seconds, "coverage": audit.coverage})
    stages = {s.name: s for s in build_stages(verify.model_copy(update={"tests": tests}), names=audit.stages)}
    log = GitCommitLog(sup.root, sup.root / STATE_DIR / "audit" / "scratch")
    return Auditor(sup, log, stages, actor=actor, notifier=notifier or make_notifier(sup), on_state=on_state)


def file_changes(root: Path, ignore: tuple[str, ...]) -> FileChanges:
    """Changed paths under ``root`` as watchfiles reports them, leaving out git's and Overseer's own folders and ``ignore``."""
    import watchfiles

    top, skip, default = root.resolve(), (".git", STATE_DIR, *ignore), watchfiles.DefaultFilter()

    def wanted(change: watchfiles.Change, path: str) -> bool:
        try:
            rel = Path(path).resolve().relative_to(top).as_posix()
        except ValueError:
            return False
        return not any(rel == s or rel.startswith(s + "/") for s in skip) and default(change, path)

    async def changes(stop: asyncio.Event) -> AsyncIterator[set[str]]:
        async for batch in watchfiles.awatch(root, watch_filter=wanted, stop_event=stop, debounce=500):
            yield {path for _, path in batch}

    return changes


def ledger(sup: Supervisor) -> UsageLedger:
    """The usage ledger: in the same store (and transactions, and event log) as the tasks."""
    store = sup.store
    assert isinstance(store, SqlStore | InMemoryStore)
    return store


def quota_book(sup: Supervisor) -> QuotaBook:
    return QuotaBook(ledger(sup), sup.config.providers)


def price_book() -> PriceBook:
    """LiteLLM's bundled price map; LiteLLM itself is imported at the first price asked for (it takes seconds)."""
    return LiteLLMPrices()


def task_routing(sup: Supervisor, *, mode: str | None = None) -> TaskRouting:
    return TaskRouting(sup.config, quota_book(sup), price_book(), mode=mode)


def model_gateway(sup: Supervisor, *, actor: str = "gateway") -> ModelGateway:
    """Direct model calls for reviews, plans and skills: routed, metered, falling back along the chain."""
    routing = task_routing(sup)
    return RoutedGateway(sup.config, routing.router, routing.quota, LiteLLMTransport(), routing.prices or price_book(),
                         os.environ.get, actor=actor)


def run_store(sup: Supervisor) -> RunStore:
    """The supervisor's store seen as a RunStore: both stores keep runs beside the tasks they belong to."""
    store = sup.store
    assert isinstance(store, SqlStore | InMemoryStore)
    return store


def agents_report(sup: Supervisor) -> list[dict[str, object]]:
    """Every known harness: found where, which version, and which profiles could run now (and why not)."""
    dirs = tool_dirs(sup.root)
    executor = make_executor(sup)
    rows: list[dict[str, object]] = []
    for name in known_harnesses():
        harness = get_harness(name)
        binary = find_binary(harness, dirs)
        profiles = {}
        for pname, prof in sup.config.profiles.items():
            if prof.harness != name:
                continue
            try:
                executor.check_profile(prof.harness, prof.env, profile_options(prof))
                profiles[pname] = "ready"
            except OverseerError as err:
                profiles[pname] = str(err)
        rows.append({"harness": name, "binary": harness.binary, "path": str(binary) if binary else None,
                     "version": harness_version(binary) if binary else None, "profiles": profiles})
    return rows


def gc_worktrees(sup: Supervisor) -> list[str]:
    active = {r.id for r in run_store(sup).list_runs(statuses=(RunStatus.STARTING, RunStatus.RUNNING))}
    return make_executor(sup).gc(active)


# -- what the API and dashboard read beside the store ---------------------------------------------------------------

def executor_check(sup: Supervisor) -> str:
    """The local executor can work here: git answers in the repository. Returns the checked-out branch (or ``detached``);
    raises ``WorktreeError`` when git or the repository is not usable."""
    from overseer.runtime.worktree import git

    git(sup.root, "rev-parse", "--git-dir")
    return GitIntegrator(sup.root, sup.root / STATE_DIR / "landing").current_branch() or "detached"


def run_diff(sup: Supervisor, base: str, head: str, *, max_chars: int = 400_000) -> str:
    """The unified diff ``base..head`` in the project's repository (a run's base and head commits)."""
    return GitIntegrator(sup.root, sup.root / STATE_DIR / "landing").diff(base, head, max_chars=max_chars)


# -- the knowledge store ---------------------------------------------------------------------------------------------

def knowledge_store(sup: Supervisor) -> KnowledgeStore:
    """The supervisor's store seen as a KnowledgeStore: entries live beside the tasks (same database and event log)."""
    store = sup.store
    assert isinstance(store, SqlStore | InMemoryStore)
    return store


def open_brain(sup: Supervisor, *, actor: str = "overseer") -> Brain:
    return Brain(knowledge_store(sup), actor=actor)


# -- skills -------------------------------------------------------------------------------------------------------

def open_skills(sup: Supervisor, *, actor: str = "skills") -> SkillRunner:
    """The skill runner: the catalog (built-ins and ``skills.folder``), the routed model gateway, the knowledge store's
    relevant entries, and the session history kept as ``skill.called`` events in the store."""
    store = sup.store

    def record(kind: str, data: Mapping[str, object]) -> None:
        task = data.get("task_id")
        store.record_event(kind, actor=actor, task_id=str(task) if task else None, data=data)

    return SkillRunner(model_gateway(sup, actor=actor), skill_catalog(sup), sup.config, relevant=open_brain(sup, actor=actor).relevant,
                       history=EventLogHistory(store), record=record)


def skill_catalog(sup: Supervisor) -> Catalog:
    """The built-in skills with the project's folder (``skills.folder``, relative to the root) over them."""
    return Catalog.load(sup.root / sup.config.skills.folder)


# -- planning -------------------------------------------------------------------------------------------------------

def open_planner(sup: Supervisor, *, mode: str | None = None, actor: str = "planner") -> Planner:
    """Review -> plan -> store: the planning call through the routed gateway; estimates routed with ``mode`` and priced
    from LiteLLM's price map."""
    routing = task_routing(sup, mode=mode)
    estimator = Estimator(routing, routing.prices, max_parallel=sup.config.runtime.max_parallel)
    return Planner(sup, model_gateway(sup, actor=actor), estimator, actor=actor, mode=mode)
