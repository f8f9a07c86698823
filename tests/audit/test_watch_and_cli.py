"""``overseer audit`` from the terminal, and the watcher: new commits by polling, uncommitted work once quiet."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from typer.testing import CliRunner

from overseer.audit import Watcher
from overseer.bootstrap import file_changes
from overseer.cli.app import app
from tests.audit.conftest import AWS_KEY, Repo, git


def run_cli(r: Repo, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(app, ["audit", str(r.path), *args, "--json"])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines


def test_audit_since_audits_a_range_once_and_exits_2_on_a_critical_finding(repo: Callable[..., Repo]) -> None:
    r = repo()
    base = git(r.path, "rev-parse", "HEAD")
    r.commit("clean", {"a.py": "A = 1\n"})
    code, [report] = run_cli(r, "--since", base)
    assert code == 0 and report["status"] == "PASS" and len(report["commits"]) == 1  # type: ignore[arg-type]
    r.commit("leak", {"b.py": f'K = "{AWS_KEY}"\n'})
    code, [report] = run_cli(r, "--since", base)
    assert code == 2 and report["status"] == "FAIL" and len(report["commits"]) == 2  # type: ignore[arg-type]
    assert [i["id"] for i in report["issues"]] == ["SEC-001"]  # type: ignore[index]
    code, [nothing] = run_cli(r, "--since", "HEAD")
    assert code == 0 and nothing == {"audited": False, "reason": "no new commits to audit"}
    bad = CliRunner().invoke(app, ["audit", str(r.path), "--since", "nope", "--json"])
    assert bad.exit_code == 1 and "'nope' is not a commit" in bad.stderr


def test_the_watcher_audits_new_commits_and_uncommitted_work_once_it_is_quiet(repo: Callable[..., Repo]) -> None:
    r = repo({"poll_seconds": 0.2, "debounce_seconds": 1.0})
    auditor = r.auditor()
    auditor.audit_new()
    watcher = Watcher(auditor, file_changes(r.path, ("tasks/supervisor_feedback",)))

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        await asyncio.sleep(1.0)  # let watchfiles start
        sha = r.commit("more", {"more.py": "M = 1\n"})
        await _until(lambda: any(rep.commit_hash == sha for rep in watcher.reports))
        (r.path / "draft.py").write_text(f'SECRET = "{AWS_KEY}"\n')  # not committed
        await _until(lambda: watcher.dirty_since is not None)
        await _until(lambda: (r.path / ".overseer" / "audit" / "report_uncommitted.json").exists(), timeout=20)
        stop.set()
        await task

    asyncio.run(scenario())
    uncommitted = json.loads((r.path / ".overseer" / "audit" / "report_uncommitted.json").read_text())
    assert ("SECRET_EXPOSURE", "draft.py") in [(i["type"], i["file"]) for i in uncommitted["issues"]]
    assert git(r.path, "diff", "--cached", "--name-only") == ""  # the user's index was never touched
    assert "?? draft.py" in git(r.path, "status", "--porcelain")
    assert auditor.last_checked == git(r.path, "rev-parse", "HEAD")  # uncommitted work does not move it


async def _until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.1)
