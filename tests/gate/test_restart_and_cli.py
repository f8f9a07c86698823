"""A supervisor that dies mid-verification picks the work up again; the gate commands from the terminal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from overseer.bootstrap import open_runner, run_store
from overseer.cli.app import app
from overseer.domain import TaskStatus
from overseer.gate import Gatekeeper
from overseer.service import NewTask
from tests.gate.conftest import CALC, Project, attempts

MUL = CALC + "\n\ndef mul(a, b):\n    return a * b\n"


class Killed(BaseException):
    """The supervisor process dying (nothing catches it)."""


def test_a_run_whose_verification_was_cut_short_by_a_restart_is_verified_and_landed_on_the_next_start(
    project: Callable[..., Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = project()
    task = p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL})), actor="t")

    def die(self: Gatekeeper, run: object) -> None:
        raise Killed

    with monkeypatch.context() as m:
        m.setattr(Gatekeeper, "after_run", die)
        with pytest.raises(Killed):
            asyncio.run(open_runner(p.sup, worker="first").run(once=True))
    sup = p.reopen()
    assert sup.get(task.id).status == TaskStatus.VERIFYING
    [run] = run_store(sup).list_runs(task_id=task.id)
    assert run.verdict is None
    asyncio.run(open_runner(sup, worker="second").run(once=True))
    assert sup.get(task.id).status == TaskStatus.DONE
    [run] = run_store(sup).list_runs(task_id=task.id)
    assert run.landed_commit and run.verdict is not None and len(run_store(sup).list_runs()) == 1  # no second agent run


def cli(p: Project, *args: str, code: int = 0) -> object:
    result = CliRunner().invoke(app, [*args, "--json", "-C", str(p.repo)])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_the_gate_commands_list_approve_reject_and_show_in_json(project: Callable[..., Project]) -> None:
    p = project()
    held = cli(p, "task", "add", "Add mul", "--body", attempts({"calc.py": MUL}), "--gate", "start", "--gate", "land")
    assert isinstance(held, dict) and held["gates"] == ["start", "land"] and held["hold"]
    assert [(a["id"], a["kind"]) for a in cli(p, "approvals")] == [(held["id"], "start")]  # type: ignore[union-attr]
    assert cli(p, "approve", held["id"])["action"] == "released"  # type: ignore[index]
    asyncio.run(open_runner(p.reopen(), worker="w").run(once=True))
    [waiting] = cli(p, "approvals")  # type: ignore[misc]
    assert (waiting["kind"], waiting["verdict"]) == ("land", "approved")
    rejected = cli(p, "reject", held["id"], "--reason", "use operator.mul")
    assert rejected["action"] == "sent_back" and rejected["status"] == "open"  # type: ignore[index]
    shown = cli(p, "show", waiting["run"])
    assert [s["stage"] for s in shown["stages"]] == ["diff", "static", "secrets", "tests", "review"]  # type: ignore[index]
    assert all(s["duration_s"] >= 0 and s["status"] for s in shown["stages"])  # type: ignore[index]
    missing = CliRunner().invoke(app, ["approve", held["id"], "--json", "-C", str(p.repo)])
    assert missing.exit_code == 1 and "nothing waits for approval" in missing.stderr
    bad = CliRunner().invoke(app, ["task", "add", "x", "--gate", "later", "--json", "-C", str(p.repo)])
    assert bad.exit_code == 1 and "unknown gate 'later'" in bad.stderr


def test_the_daily_summary_is_delivered_to_the_webhook(project: Callable[..., Project]) -> None:
    p = project()
    p.sup.create_task(NewTask(title="Add mul", body=attempts({"calc.py": MUL}), gates=("land",)), actor="t")
    asyncio.run(open_runner(p.sup, worker="w").run(once=True))
    summary = cli(p, "notify", "--summary", "--send")
    assert isinstance(summary, dict) and summary["sent"] is True and "1 waiting for a person" in summary["body"]
    titles = [post.json["title"] for post in p.hook.wait_for(2)]
    assert any(t.startswith("Overseer summary since") for t in titles)
