"""The retrospective after a task lands or fails: the retrospective skill's proposals become knowledge entries that later
tasks' prompts quote. Real repositories, pytest suites, SQLite and LiteLLM; only the model is scripted (behind HTTP)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from overseer.bootstrap import open_brain, open_runner, run_store
from overseer.config import load_config
from overseer.domain import ConfigError, Event, TaskStatus
from overseer.gate import Backlog
from overseer.gate.retrospective import FAILED, LOOKED_BACK
from overseer.modelserver import HttpError, Reply, Text
from overseer.service import NewTask
from tests.gate.conftest import APPROVED, CALC, Project, attempts, git

ASKED = "Retrospective of task"  # how the retrospective's request begins: the scripted model answers it by this
MUL = CALC + "\n\ndef mul(a, b):\n    return a * b\n"
FIRST, SECOND, THIRD = "Calculator functions live in calc.py", "Calculator tests need no fixtures", "Tests run in one second"
ANSWER = f"""## What happened
The calculator gained a function and its tests passed.

## What went well
- The suite is fast.

## What went badly
- Nothing worth noting.

## Actions
- None.

## Proposed knowledge

### Knowledge: {FIRST}
Tags: calculator, Layout, not a tag!
Every arithmetic helper is a function in `calc.py`; its tests are in `tests/test_calc.py`.

### Knowledge: {SECOND}
Tags: testing
The calculator tests import `calc` directly; no fixtures or set-up are needed.

### Knowledge: {THIRD}
The whole suite runs with `python -m pytest -q` in about a second.

## Assumptions and open questions
- None.
"""


def set_up(project: Callable[..., Project], answer: Reply = Text(ANSWER), **knowledge: Any) -> Project:
    """A project whose ``knowledge:`` section is ``knowledge``; the model answers the retrospective with ``answer`` and
    every other call (the reviews) with an approval."""
    p = project(review=None)
    p.models.script.add(answer, when=ASKED, times=None)
    p.models.script.add(Text(APPROVED), times=None)
    config = json.loads((p.repo / "overseer.yaml").read_text())
    config["knowledge"] = knowledge
    (p.repo / "overseer.yaml").write_text(json.dumps(config))
    p.reopen()
    return p


def run_once(p: Project) -> None:
    asyncio.run(open_runner(p.sup, worker="test").run(once=True))


def retrospective_requests(p: Project) -> list[str]:
    bodies = [json.dumps(r.body) for r in p.models.requests]
    return [b for b in bodies if ASKED in b]


def events(p: Project, kind: str) -> list[Event]:
    return [e for e in p.sup.events(limit=10_000) if e.kind == kind]


def last_run_id(p: Project, task_id: str) -> str:
    return max(run_store(p.sup).list_runs(task_id=task_id), key=lambda r: r.attempt).id


def test_a_landed_task_leaves_knowledge_that_a_later_task_about_the_same_code_reads_in_its_prompt(
        project: Callable[..., Project]) -> None:
    p = set_up(project, retrospective="all")
    task = p.sup.create_task(NewTask(title="Add mul to the calculator", body=attempts({"calc.py": MUL})), actor="t")
    run_once(p)  # --once returns only when the retrospective is done
    assert p.sup.get(task.id).status == TaskStatus.DONE
    entries = {e.title: e for e in open_brain(p.sup).entries()}
    assert set(entries) == {FIRST, SECOND, THIRD}
    run_id = last_run_id(p, task.id)
    assert all(e.source_run == run_id and e.source_task == task.id for e in entries.values())
    assert entries[FIRST].tags == ("retrospective", "calculator", "layout")  # the tag that is none is left out
    assert "`calc.py`" in entries[FIRST].body
    [looked] = events(p, LOOKED_BACK)
    assert looked.task_id == task.id and looked.run_id == run_id and looked.data["outcome"] == "landed"
    assert {a["id"] for a in looked.data["added"]} == {e.id for e in entries.values()} and looked.data["skipped"] == []
    assert looked.data["model"] and looked.data["profile"] == "reviewer"
    [asked] = retrospective_requests(p)
    assert f"{ASKED} {task.id}: Add mul to the calculator. Outcome: landed." in asked
    assert "attempt 1 (agent, command): ended completed" in asked and "verified approved" in asked

    later = p.sup.create_task(NewTask(title="Add sub to the calculator", body=attempts({"sub.py": "X = 1\n"})), actor="t")
    run_once(p)
    section = p.prompt(later.id, 1).split("## Relevant knowledge", 1)[1]
    assert f"### {FIRST} ({entries[FIRST].id})" in section and "Every arithmetic helper" in section
    [_, again] = events(p, LOOKED_BACK)  # the later task's retrospective proposes the same: all known already
    assert again.task_id == later.id and again.data["added"] == [] and len(again.data["skipped"]) == 3
    assert len(list(open_brain(p.sup).entries())) == 3


def test_with_failures_only_an_escalated_task_is_looked_back_at_and_a_landed_one_is_not(project: Callable[..., Project]) -> None:
    p = set_up(project, retrospective="failures")
    landed = p.sup.create_task(NewTask(title="Add mul", body=attempts({"mul.py": "def mul(a, b):\n    return a * b\n"})), actor="t")
    broken = p.sup.create_task(NewTask(title="Break add", body=attempts({"calc.py": "def add(a, b):\n    return a - b\n"}),
                                       max_attempts=1), actor="t")
    run_once(p)
    assert p.sup.get(landed.id).status == TaskStatus.DONE and p.sup.get(broken.id).status == TaskStatus.ESCALATED
    [looked] = events(p, LOOKED_BACK)
    assert looked.task_id == broken.id and looked.data["outcome"] == "escalated"
    assert {e.source_task for e in open_brain(p.sup).entries()} == {broken.id}
    [asked] = retrospective_requests(p)
    assert "Outcome: escalated." in asked and "verified needs_changes" in asked and "stage tests failed" in asked
    assert "attempts spent" in asked.split("## Outcome", 1)[1]


def test_by_default_no_task_is_looked_back_at_and_no_model_call_is_made_for_it(project: Callable[..., Project]) -> None:
    p = project()
    assert p.sup.config.knowledge.retrospective == "off"
    assert open_runner(p.sup, worker="test").retrospectives.look_back is None
    task = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL}), max_attempts=1), actor="t")
    run_once(p)
    assert p.sup.get(task.id).status == TaskStatus.DONE
    assert len(p.models.requests) == 1  # the review, nothing else
    assert retrospective_requests(p) == [] and list(open_brain(p.sup).entries()) == []
    assert events(p, LOOKED_BACK) == events(p, FAILED) == events(p, "skill.called") == []


@pytest.mark.parametrize(("answer", "why"), [
    (HttpError.server_error(), "reviewer"),
    (Text("## What happened\nIt landed. All good."), "no '## Proposed knowledge' section"),
], ids=["model error", "answer without proposals"])
def test_a_retrospective_that_fails_is_logged_and_leaves_the_task_as_it_ended(project: Callable[..., Project], answer: Reply,
                                                                               why: str) -> None:
    p = set_up(project, answer, retrospective="all")
    task = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL})), actor="t")
    run_once(p)
    assert p.sup.get(task.id).status == TaskStatus.DONE and "def mul" in git(p.repo, "show", "overseer/integration/main:calc.py")
    [failed] = events(p, FAILED)
    assert failed.task_id == task.id and failed.run_id == last_run_id(p, task.id) and failed.data["outcome"] == "landed"
    assert why in failed.data["reason"]
    assert events(p, LOOKED_BACK) == [] and list(open_brain(p.sup).entries()) == []


def test_a_proposal_whose_title_is_known_is_skipped_and_no_more_than_the_maximum_are_added(project: Callable[..., Project]) -> None:
    p = set_up(project, retrospective="all", retrospective_max_entries=1)
    known = open_brain(p.sup, actor="t").add(FIRST.upper(), "Written by a person.", ["layout"])
    task = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL})), actor="t")
    run_once(p)
    entries = list(open_brain(p.sup).entries())
    assert {e.title for e in entries} == {known.title, SECOND}
    assert open_brain(p.sup).show(known.id).body == "Written by a person."
    [looked] = events(p, LOOKED_BACK)
    assert [a["title"] for a in looked.data["added"]] == [SECOND] and looked.data["proposed"] == 3
    skipped = {s["title"]: s["why"] for s in looked.data["skipped"]}
    assert skipped[FIRST] == "an entry with this title exists" and "retrospective_max_entries (1)" in skipped[THIRD]
    assert p.sup.get(task.id).status == TaskStatus.DONE


def test_the_config_reads_a_bare_off_and_refuses_on_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "overseer.yaml").write_text("knowledge:\n  retrospective: off\n")
    assert load_config(tmp_path).knowledge.retrospective == "off"
    (tmp_path / "overseer.yaml").write_text("knowledge:\n  in_prompts: true\n  retrospective: on\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert err.value.line == 3 and "off, failures or all" in str(err.value)


def test_the_backlog_runs_one_at_a_time_off_the_loop_drains_on_request_and_cancel_drops_what_waits() -> None:
    started: list[str] = []
    release = threading.Event()

    def look_back(task_id: str, run_id: str) -> None:
        started.append(task_id)
        release.wait(5)

    async def scenario() -> None:
        backlog = Backlog(look_back)
        backlog.submit("a", "run-a")
        backlog.submit("b", "run-b")
        await asyncio.sleep(0.2)  # the loop is free meanwhile; "a" runs, "b" waits its turn
        assert started == ["a"]
        backlog.cancel()
        release.set()
        await asyncio.sleep(0.2)
        assert started == ["a"]  # "b" was dropped
        backlog.submit("c", "run-c")  # a new pool after a cancel
        begun = time.monotonic()
        await backlog.drain()
        assert started == ["a", "c"] and time.monotonic() - begun < 5

    asyncio.run(scenario())
