"""The supervisor loop with real git worktrees and real subprocesses (the command harness and a scripted agent)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from overseer.bootstrap import open_runner, run_store
from overseer.domain import OverseerError, TaskStatus
from overseer.domain.runs import ExitReason, Run, RunStatus
from overseer.service import NewTask, Supervisor
from tests.runner.conftest import command_profile, git

MakeRepo = Callable[..., Path]
OpenSup = Callable[[Path], Supervisor]


def run_once(sup: Supervisor, **kwargs: object) -> list[Run]:
    runner = open_runner(sup, worker="test-worker")
    state = asyncio.run(runner.run(once=True, **kwargs))  # type: ignore[arg-type]
    return state.finished


def test_three_tasks_become_three_verified_runs_landed_on_the_integration_branch_with_main_untouched(
    make_repo: MakeRepo, open_sup: OpenSup
) -> None:
    repo = make_repo({"agent": command_profile()})
    sup = open_sup(repo)
    ids = [sup.create_task(NewTask(title=f"file {i}", body=f"write f{i}.txt content {i}"), actor="t").id for i in range(3)]
    finished = run_once(sup)
    assert sorted(r.task_id for r in finished) == sorted(ids)
    for run in run_store(sup).list_runs():
        assert run.status == RunStatus.SUCCEEDED and run.exit_reason == ExitReason.COMPLETED
        assert run.branch == f"overseer/run/{run.id}" and run.head_commit and run.base_commit
        task = sup.get(run.task_id)
        n = task.title.split()[-1]
        assert git(repo, "show", f"{run.head_commit}:f{n}.txt") == f"content {n}\n"
        message = git(repo, "log", "-1", "--format=%B", run.head_commit)
        assert task.id in message and run.id in message
        assert run.tokens_in == 100 and run.tokens_out == 20 and dict(run.diff_stat)["files"] == 1
        assert run.verdict is not None and run.verdict.lands and run.target == "overseer/integration/main" and run.landed_commit
        assert task.status == TaskStatus.DONE and task.attempts == 1
        assert not (repo / ".overseer" / "worktrees" / run.id).exists()  # removed after landing
    landed = git(repo, "ls-tree", "--name-only", "overseer/integration/main").split()
    assert {"f0.txt", "f1.txt", "f2.txt"} <= set(landed)
    assert git(repo, "ls-tree", "--name-only", "main").split() == ["README.md"]  # the base branch is untouched
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""  # the main checkout is untouched


def test_a_failing_task_is_retried_with_feedback_then_marked_failed_when_its_budget_is_spent(
    make_repo: MakeRepo, open_sup: OpenSup
) -> None:
    repo = make_repo({"agent": command_profile()})
    sup = open_sup(repo)
    task = sup.create_task(NewTask(title="doomed", body="fail", max_attempts=2), actor="t")
    finished = run_once(sup)
    assert [r.exit_reason for r in finished] == [ExitReason.AGENT_ERROR, ExitReason.AGENT_ERROR]
    assert sup.get(task.id).status == TaskStatus.FAILED and sup.get(task.id).attempts == 2
    second = sorted(run_store(sup).list_runs(task_id=task.id), key=lambda r: r.attempt)[1]
    log = (repo / ".overseer" / "runs" / second.id / "output.log").read_text()
    assert second.attempt == 2 and "agent: feedback: - attempt 1 (agent) ended with agent_error" in log
    events = [e.kind for e in sup.events(limit=1000, task_id=task.id)]
    assert events.count("run.finished") == 2


def test_a_silent_agent_is_killed_as_stalled_and_its_process_group_is_gone(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    repo = make_repo({"agent": command_profile(stall_seconds=1)})
    sup = open_sup(repo)
    task = sup.create_task(NewTask(title="sleepy", body="hang", max_attempts=1), actor="t")
    [run] = run_once(sup)
    assert run.status == RunStatus.STALLED and run.exit_reason == ExitReason.STALL_TIMEOUT
    assert run.pid is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(run.pid, 0)
    assert sup.get(task.id).status == TaskStatus.FAILED


def test_an_agent_that_commits_itself_keeps_its_commit_and_one_that_changes_nothing_fails(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    repo = make_repo({"agent": command_profile()})
    sup = open_sup(repo)
    self_commit = sup.create_task(NewTask(title="commits", body="commit mine.txt"), actor="t")
    idle = sup.create_task(NewTask(title="idle", body="nothing", max_attempts=1), actor="t")
    finished = {r.task_id: r for r in run_once(sup)}
    mine = finished[self_commit.id]
    assert mine.status == RunStatus.SUCCEEDED
    assert git(repo, "log", "-1", "--format=%an %s", mine.branch).strip() == "agent agent commit"
    assert finished[idle.id].status == RunStatus.FAILED and "changed nothing" in (finished[idle.id].error or "")


def test_a_profile_pool_of_one_runs_its_tasks_one_at_a_time(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    repo = make_repo({"agent": command_profile(pool=1)})
    sup = open_sup(repo)
    for i in range(3):
        sup.create_task(NewTask(title=f"t{i}", body=f"write p{i}.txt x"), actor="t")
    finished = sorted(run_once(sup, max_parallel=3), key=lambda r: r.started_at)  # type: ignore[arg-type, return-value]
    for earlier, later in itertools.pairwise(finished):
        assert earlier.ended_at is not None and later.started_at is not None and earlier.ended_at <= later.started_at


def test_a_run_whose_process_is_gone_after_a_restart_is_marked_lost_and_its_task_requeued(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    repo = make_repo({"agent": command_profile()})
    sup = open_sup(repo)
    task = sup.create_task(NewTask(title="t", body="write a.txt x"), actor="t")
    sup.claim(task.id, "old-worker")
    sup.set_status(task.id, TaskStatus.RUNNING, actor="old-worker")
    dead = subprocess.Popen(["true"])
    dead.wait()
    store = run_store(sup)
    store.add_run(Run("run-orphan", task.id, "agent", "command"), actor="old-worker")
    store.update_run("run-orphan", {"status": RunStatus.RUNNING, "pid": dead.pid}, actor="old-worker")
    runner = open_runner(sup, worker="new-worker")
    lost = runner.recover()
    assert [r.id for r in lost] == ["run-orphan"] and store.get_run("run-orphan").status == RunStatus.LOST
    assert sup.get(task.id).status == TaskStatus.OPEN and sup.get(task.id).attempts == 1
    finished = run_once(sup)
    assert [(r.status, r.attempt) for r in finished] == [(RunStatus.SUCCEEDED, 2)]


def test_a_live_process_is_not_declared_lost(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    repo = make_repo({"agent": command_profile()})
    sup = open_sup(repo)
    task = sup.create_task(NewTask(title="t"), actor="t")
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        run_store(sup).add_run(Run("run-live", task.id, "agent", "command"), actor="w")
        run_store(sup).update_run("run-live", {"status": RunStatus.RUNNING, "pid": sleeper.pid}, actor="w")
        assert open_runner(sup, worker="w2").recover() == []
    finally:
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()


@pytest.mark.parametrize(
    ("profiles", "prepare", "message"),
    [
        ({"agent": {"harness": "nonsense"}}, None, "unknown harness 'nonsense'"),
        ({"agent": {"harness": "command", "command": ["definitely-not-installed-agent"]}}, None, "was not found"),
        ({"agent": {**command_profile(), "env": {"TOKEN": "${OVERSEER_TEST_UNSET_VARIABLE}"}}}, None, "OVERSEER_TEST_UNSET_VARIABLE"),
        ({"agent": command_profile()}, "dirty", "uncommitted changes"),
        ({"agent": command_profile()}, "detached", "detached"),
    ],
    ids=["unknown-harness", "missing-binary", "missing-credential-variable", "dirty-repo", "detached-head"],
)
def test_a_run_that_cannot_start_is_refused_before_anything_starts(
    make_repo: MakeRepo, open_sup: OpenSup, profiles: dict[str, object], prepare: str | None, message: str
) -> None:
    repo = make_repo(profiles)
    sup = open_sup(repo)
    task = sup.create_task(NewTask(title="t", body="write a.txt x"), actor="t")
    if prepare == "dirty":
        (repo / "README.md").write_text("changed\n")
    if prepare == "detached":
        git(repo, "checkout", "-q", "--detach")
    with pytest.raises(OverseerError, match=message):
        run_once(sup)
    assert run_store(sup).list_runs() == [] and sup.get(task.id).status == TaskStatus.OPEN
    assert not (repo / ".overseer" / "worktrees").exists() or list((repo / ".overseer" / "worktrees").iterdir()) == []


def test_an_unknown_base_branch_is_refused_naming_the_branches(make_repo: MakeRepo, open_sup: OpenSup) -> None:
    repo = make_repo({"agent": command_profile()}, base_branch="release")
    sup = open_sup(repo)
    sup.create_task(NewTask(title="t"), actor="t")
    with pytest.raises(OverseerError, match="'release' does not exist; branches: main"):
        run_once(sup)


def test_an_unexpected_error_in_one_run_is_recorded_and_the_loop_goes_on(
    make_repo: MakeRepo, open_sup: OpenSup, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overseer.runtime.executor import LocalExecutor

    repo = make_repo({"agent": command_profile()})
    sup = open_sup(repo)
    broken = sup.create_task(NewTask(title="broken", body="write b.txt x", max_attempts=1), actor="t")
    original = LocalExecutor.execute

    async def flaky(self: LocalExecutor, request: object, *args: object) -> object:
        if getattr(request, "task_id", None) == broken.id:
            raise RuntimeError("disk on fire")
        return await original(self, request, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalExecutor, "execute", flaky)
    fine = sup.create_task(NewTask(title="fine", body="write f.txt x"), actor="t")
    finished = {r.task_id: r for r in run_once(sup)}
    assert finished[broken.id].status == RunStatus.FAILED
    assert "internal error: RuntimeError: disk on fire" in (finished[broken.id].error or "")
    assert finished[fine.id].status == RunStatus.SUCCEEDED
    assert sup.get(broken.id).status == TaskStatus.FAILED
