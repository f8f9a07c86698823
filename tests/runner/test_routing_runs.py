"""Routing inside the supervisor loop: windows taken atomically, decisions in the event log, cascade on failure,
parking that survives a restart, and a cost budget that asks a person instead of stopping silently."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from overseer.bootstrap import ledger, open_runner, run_store
from overseer.domain import Complexity, TaskStatus, utcnow
from overseer.domain.runs import Run
from overseer.service import NewTask, Supervisor
from tests.runner.conftest import command_profile

MakeRepo = Callable[..., Path]
OpenSup = Callable[[Path], Supervisor]
OVERSEER = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "overseer")


def routed_repo(make_repo: MakeRepo, strong_limit: int = 2) -> Path:
    repo = make_repo({"cheap": command_profile(provider="cheap", pool=2), "strong": command_profile(provider="strong", pool=2)})
    config = json.loads((repo / "overseer.yaml").read_text())
    config["providers"] = {
        "cheap": {"kind": "api", "pool": 2},
        "strong": {"kind": "subscription", "pool": 2, "windows": [{"limit": strong_limit, "unit": "runs", "length": "5h"}]},
    }
    config["routing"] = {
        "rules": [{"when": {"complexity": "complex"}, "chain": ["strong", "cheap"]}, {"chain": ["cheap"]}],
        "cascade": ["cheap", "strong"],
    }
    (repo / "overseer.yaml").write_text(json.dumps(config))
    return repo


def run_once(sup: Supervisor) -> list[Run]:
    return asyncio.run(open_runner(sup, worker="test-worker").run(once=True)).finished


def decisions(sup: Supervisor) -> dict[str, dict[str, Any]]:
    return {e.run_id or "": dict(e.data) for e in sup.events(limit=10_000) if e.kind == "routing.decided"}


def test_complex_work_fills_the_strong_window_then_falls_to_cheap_and_every_decision_says_why(
    make_repo: MakeRepo, open_sup: OpenSup
) -> None:
    sup = open_sup(routed_repo(make_repo, strong_limit=2))
    new = [NewTask(title=f"c{i}", body=f"write c{i}.txt x", complexity=Complexity.COMPLEX) for i in range(3)]
    ids = [sup.create_task(n, actor="t").id for n in new]
    finished = run_once(sup)
    assert sorted(r.task_id for r in finished) == sorted(ids)
    assert sorted(r.profile for r in finished) == ["cheap", "strong", "strong"]
    made = decisions(sup)
    assert set(made) == {r.id for r in finished}
    to_cheap = [d for d in made.values() if d["profile"] == "cheap"]
    assert len(to_cheap) == 1 and to_cheap[0]["reason"].startswith("cheap: ") and "strong window full" in to_cheap[0]["reason"]
    entries = ledger(sup).usage_entries(provider="strong")
    assert len(entries) == 2 and all(e.settled and e.tokens_in == 100 and e.cost_usd == 0.01 for e in entries)


def test_a_failed_attempt_cascades_to_the_next_profile_up(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    sup = open_sup(routed_repo(make_repo))
    task = sup.create_task(NewTask(title="hard", body="fail", max_attempts=2), actor="t")
    run_once(sup)
    runs = sorted(run_store(sup).list_runs(task_id=task.id), key=lambda r: r.attempt)
    assert [r.profile for r in runs] == ["cheap", "strong"]
    assert "cascade after cheap failed attempt 1" in decisions(sup)[runs[1].id]["reason"]


def test_a_rate_limited_provider_is_parked_in_the_store_and_a_restarted_supervisor_keeps_off_it(
    make_repo: MakeRepo, open_sup: OpenSup
) -> None:
    repo = routed_repo(make_repo)
    sup = open_sup(repo)
    limited = sup.create_task(NewTask(title="limited", body="limit", max_attempts=3), actor="t")
    run_once(sup)
    parks = ledger(sup).parks(utcnow())
    assert set(parks) == {"cheap"} and "was rate limited" in parks["cheap"].reason
    assert sup.get(limited.id).status == TaskStatus.OPEN
    later = open_sup(repo)  # a new supervisor: parking comes from the database, not memory
    waiting = later.create_task(NewTask(title="simple", body="write s.txt x"), actor="t")
    runner = open_runner(later, worker="second")
    state = asyncio.run(runner.run(once=True))
    assert state.finished == [] and "cheap parked until" in state.skipped[waiting.id]
    quota = json.loads(subprocess.run([OVERSEER, "quota", "--json"], cwd=repo, capture_output=True, text=True, check=True).stdout)
    assert [r["parked_until"] is not None for r in quota if r["provider"] == "cheap"] == [True]


def test_a_spent_cost_budget_escalates_the_task_to_a_person_instead_of_retrying(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    sup = open_sup(routed_repo(make_repo))
    task = sup.create_task(NewTask(title="pricey", body="fail", max_attempts=3, max_cost_usd=0.01), actor="t")
    finished = run_once(sup)
    assert len(finished) == 1  # the agent reports $0.01 a run: the budget is spent after one
    assert sup.get(task.id).status == TaskStatus.ESCALATED
    escalated = [e for e in sup.events(limit=1000, task_id=task.id) if e.kind == "task.escalated"]
    assert len(escalated) == 1 and escalated[0].data["why"] == "cost_budget" and escalated[0].data["spent_usd"] == 0.01


def test_quota_providers_and_cost_commands_report_the_ledger(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    repo = routed_repo(make_repo, strong_limit=4)
    sup = open_sup(repo)
    new = [NewTask(title=f"c{i}", body=f"write c{i}.txt x", complexity=Complexity.COMPLEX) for i in range(2)]
    tasks = [sup.create_task(n, actor="t") for n in new]
    run_once(sup)

    def cli(*args: str) -> Any:
        done = subprocess.run([OVERSEER, *args, "--json"], cwd=repo, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    strong = [r for r in cli("quota") if r["provider"] == "strong"]
    assert [(r["window"], r["used"], r["limit"], r["percent"]) for r in strong] == [("5h", 2, 4, 50.0)]
    assert strong[0]["resets_at"] is not None and strong[0]["parked_until"] is None
    providers = {p["provider"]: p for p in cli("providers")}
    assert providers["strong"]["profiles"] == ["strong"] and providers["strong"]["can_use"] is True
    by_task = cli("cost", "--by", "task")
    assert {r["key"] for r in by_task["rows"]} == {t.id for t in tasks} and by_task["total_usd"] == 0.02
    assert [r["key"] for r in cli("cost", "--by", "provider")["rows"]] == ["strong"]
    bad = subprocess.run([OVERSEER, "cost", "--by", "color", "--json"], cwd=repo, capture_output=True, text=True)
    assert bad.returncode == 1 and "group by one of" in bad.stderr
