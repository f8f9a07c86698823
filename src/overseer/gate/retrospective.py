"""Looking back at a finished task: when it lands, fails or is escalated, the retrospective skill reads what happened and
proposes knowledge entries; the ones not known yet go into the knowledge store.

``knowledge.retrospective`` says which outcomes get one: ``off`` (the default: each costs a model call), ``failures``
(failed and escalated tasks) or ``all`` (landed ones too). The prompt is short: what was asked, each attempt with its
key findings, the outcome. A proposal whose title is already known is skipped; at most
``knowledge.retrospective_max_entries`` are added, each with the task's last run as its source and tagged
``retrospective``. One ``knowledge.retrospective`` event says what was added and skipped, by which model, at what cost.

A retrospective never disturbs the supervisor: any failure (no quota, a model error, an answer without its
``## Proposed knowledge`` section) is logged as ``knowledge.retrospective_failed`` with the reason, and nothing else
happens. The runner runs them in a worker thread of their own (``Backlog``), so dispatching never waits for a model.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from overseer.domain import Event, EventKind, OverseerError, Task, TaskStatus
from overseer.domain.knowledge import MAX_TITLE, TAG, KnowledgeEntry
from overseer.domain.runs import Run
from overseer.domain.verification import feedback_lines
from overseer.knowledge import Brain
from overseer.ports import RunStore
from overseer.service import Supervisor
from overseer.skills import ProposedKnowledge, SkillResult, SkillRunner, proposed_knowledge

LOOKED_BACK = "knowledge.retrospective"
FAILED = "knowledge.retrospective_failed"
SKILL = "retrospective"
OUTCOMES = {TaskStatus.DONE: "landed", TaskStatus.FAILED: "failed", TaskStatus.ESCALATED: "escalated"}
WANTED = {"off": frozenset[str](), "failures": frozenset({"failed", "escalated"}), "all": frozenset(OUTCOMES.values())}
SECTION = re.compile(r"^#{1,3}\s*Proposed knowledge\b", re.IGNORECASE | re.MULTILINE)
ASKED_CHARS = 1_500   # of the task's body
LINE_CHARS = 300      # of any one line about an attempt
FINDINGS = 5          # per attempt
ATTEMPTS = 10         # the last ones


@dataclass(frozen=True)
class Lessons:
    """What one retrospective did: the entries it added, the proposals it skipped (title, why), and the call."""

    task_id: str
    run_id: str
    outcome: str
    added: tuple[KnowledgeEntry, ...]
    skipped: tuple[tuple[str, str], ...]
    result: SkillResult


class Retrospective:
    def __init__(self, sup: Supervisor, runs: RunStore, skills: SkillRunner, brain: Brain, *, actor: str) -> None:
        self.sup, self.runs, self.skills, self.brain, self.actor = sup, runs, skills, brain, actor
        self.config = sup.config.knowledge

    def after(self, task_id: str, run_id: str) -> Lessons | None:
        """Look back at ``task_id`` when run ``run_id`` was its last and ended it in an outcome the config names; None
        when not. Never raises: a failure is the ``knowledge.retrospective_failed`` event."""
        outcome: str | None = None
        try:
            task = self.sup.get(task_id)
            outcome = OUTCOMES.get(task.status)
            if outcome is None or outcome not in WANTED[self.config.retrospective]:
                return None
            runs = sorted(self.runs.list_runs(task_id=task_id), key=lambda r: (r.created_at, r.attempt))
            if not runs or runs[-1].id != run_id:
                return None  # a later run decided the outcome: it looks back itself
            return self.look_back(task, runs, outcome)
        except Exception as err:  # the loop goes on whatever happened here
            reason = str(err) if isinstance(err, OverseerError) else f"internal error: {type(err).__name__}: {err}"
            with contextlib.suppress(Exception):  # the store itself is gone (a shutdown): nowhere left to say it
                self.sup.store.record_event(FAILED, actor=self.actor, task_id=task_id, run_id=run_id,
                                            data={"outcome": outcome, "reason": reason[:2000]})
            return None

    def look_back(self, task: Task, runs: Sequence[Run], outcome: str) -> Lessons:
        """Ask the retrospective skill about ``task`` and keep what it proposes; the model's errors propagate, and an
        answer without a ``## Proposed knowledge`` section is an ``OverseerError``."""
        last = runs[-1]
        result = self.skills.run(SKILL, self.prompt(task, runs, outcome), session=task.id, task_id=task.id)
        proposals = proposed_knowledge(result.markdown)
        if not proposals and not SECTION.search(result.markdown):
            raise OverseerError(f"the retrospective's answer ({result.model}) has no '## Proposed knowledge' section")
        added, skipped = self.keep(proposals, task, last)
        lessons = Lessons(task.id, last.id, outcome, tuple(added), tuple(skipped), result)
        self.sup.store.record_event(LOOKED_BACK, actor=self.actor, task_id=task.id, run_id=last.id, data={
            "outcome": outcome, "added": [{"id": e.id, "title": e.title} for e in added],
            "skipped": [{"title": t, "why": why} for t, why in skipped], "proposed": len(proposals),
            "profile": result.profile, "model": result.model, "cost_usd": result.cost_usd, "duration_s": result.duration_s})
        return lessons

    def prompt(self, task: Task, runs: Sequence[Run], outcome: str) -> str:
        """What the skill is asked: the task, each attempt with its key findings, what people said, the outcome."""
        events = self._events(task)
        parts = [f"Retrospective of task {task.id}: {task.title}. Outcome: {outcome}.", "## What was asked",
                 _cut(task.body.strip(), ASKED_CHARS) or "(no description)"]
        if task.acceptance:
            parts.append("Acceptance criteria:\n" + "\n".join(f"- {_line(a)}" for a in task.acceptance))
        parts += ["## Attempts", "\n".join(_attempt(r) for r in runs[-ATTEMPTS:])]
        said = [f"- {_line(str(e.data.get('reason')))}" for e in events if e.kind == "approval.rejected"]
        if said:
            parts += ["## What people said", "\n".join(said)]
        why = next((e.data.get("reason") for e in reversed(events)
                    if e.kind == EventKind.TASK_STATUS.value and e.data.get("to") == task.status.value), None)
        parts += ["## Outcome", outcome + (f": {_line(str(why))}" if why else ""),
                  f"Propose at most {self.config.retrospective_max_entries} entries under `## Proposed knowledge`: only durable "
                  "facts about this project that a future agent would otherwise rediscover."]
        return "\n\n".join(parts)

    def keep(self, proposals: Sequence[ProposedKnowledge], task: Task, run: Run) -> tuple[list[KnowledgeEntry], list[tuple[str, str]]]:
        """Add the proposals not known yet, up to the limit, with ``run`` and ``task`` as their source."""
        added: list[KnowledgeEntry] = []
        skipped: list[tuple[str, str]] = []
        seen: set[str] = set()
        for p in proposals:
            title = _cut(" ".join(p.title.split()), MAX_TITLE)
            if _same(title) in seen or self.known(title):
                skipped.append((title, "an entry with this title exists"))
            elif len(added) >= self.config.retrospective_max_entries:
                skipped.append((title, f"over knowledge.retrospective_max_entries ({self.config.retrospective_max_entries})"))
            else:
                tags = [SKILL, *(t for t in p.tags if TAG.match(t))]
                try:
                    added.append(self.brain.add(title, p.body, tags, source_run=run.id, source_task=task.id))
                except OverseerError as err:  # a body the store refuses: that one is left out, the others kept
                    skipped.append((title, str(err)))
            seen.add(_same(title))
        return added, skipped

    def known(self, title: str) -> bool:
        """An entry with ``title`` exists (the search on the title finds it; case and spacing aside)."""
        return any(_same(e.title) == _same(title) for e in self.brain.search(title, limit=10))

    def _events(self, task: Task) -> list[Event]:
        return self.sup.events(task_id=task.id, limit=10_000)


class Backlog:
    """Retrospectives waiting or running in a worker thread of their own, one at a time, so the supervisor loop never
    waits for a model: ``submit`` queues one, ``drain`` waits for all (``overseer run --once``), ``cancel`` drops the
    queued ones (a call under way finishes in its thread). ``look_back`` is ``Retrospective.after``; with none (``off``)
    each is a no-op."""

    def __init__(self, look_back: Callable[[str, str], object] | None) -> None:
        self.look_back = look_back
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[asyncio.Future[object]] = set()

    def submit(self, task_id: str, run_id: str) -> None:
        if self.look_back is None:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="overseer-retrospective")
        future = asyncio.get_running_loop().run_in_executor(self._pool, self.look_back, task_id, run_id)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        while waiting := [f for f in self._pending if not f.done()]:
            await asyncio.gather(*waiting, return_exceptions=True)

    def cancel(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _attempt(run: Run) -> str:
    how = run.exit_reason.value if run.exit_reason else run.status.value
    facts = [f"{run.turns} turns" if run.turns else "", f"${run.cost_usd:.4f}" if run.cost_usd else "",
             f"{run.diff_stat.get('files', 0)} files +{run.diff_stat.get('insertions', 0)} -{run.diff_stat.get('deletions', 0)}"
             if run.diff_stat else ""]
    head = f"- attempt {run.attempt} ({run.profile}, {run.harness}): ended {how}" + "".join(f", {f}" for f in facts if f)
    if run.verdict is not None:
        head += f"; verified {run.verdict.value}"
    if run.landed_commit:
        head += f"; landed on {run.target} at {run.landed_commit[:10]}"
    lines = [_line(head)]
    if run.error:
        lines.append(f"  - error: {_line(run.error)}")
    lines += [f"  - {_line(line)}" for line in feedback_lines(run.stages, limit=FINDINGS)]
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _line(text: str) -> str:
    """``text`` on one line (whitespace runs made one space), cut at ``LINE_CHARS``."""
    return _cut(" ".join(text.split()), LINE_CHARS)


def _same(title: str) -> str:
    return " ".join(title.lower().split())
