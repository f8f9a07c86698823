"""The commit auditor on real repositories: real git, real detect-secrets, ruff, bandit, shellcheck and pytest."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from overseer.domain.audit import AuditState
from overseer.domain.verification import StageStatus
from overseer.service import NewTask
from tests.audit.conftest import AWS_KEY, CALC, Repo, git

S = AuditState


def test_a_commit_that_adds_an_aws_key_fails_at_once_with_a_critical_report_and_an_inbox_file(repo: Callable[..., Repo]) -> None:
    r = repo()
    auditor = r.auditor()
    assert auditor.audit_new() is not None  # the first audit: HEAD alone
    sha = r.commit("add settings", {"settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'})
    report = auditor.audit_new()
    assert report is not None and report.commit_hash == sha and report.status == "FAIL" and report.critical
    data = r.report(sha)
    assert set(data) >= {"timestamp", "commit_hash", "status", "metrics", "issues", "stages", "tools", "commits"}
    [issue] = [i for i in data["issues"] if i["type"] == "SECRET_EXPOSURE"]
    assert (issue["id"], issue["severity"], issue["file"], issue["line"]) == ("SEC-001", "CRITICAL", "settings.py", 1)
    assert data["metrics"]["security_score"] == "F" and AWS_KEY not in str(data)
    assert {s["stage"]: s["status"] for s in data["stages"]}["tests"] == "skipped"  # critical: straight to the report
    assert r.states[-5:] == [S.DETECTED_CHANGE, S.AUDITING, S.REPORTING, S.COMMUNICATING, S.WAIT_FOR_FIX]
    [feedback] = r.inbox()
    assert feedback.name.startswith("ISSUE_") and feedback.name.endswith("_CRITICAL.md")
    text = feedback.read_text()
    assert sha in text and "settings.py:1" in text and "rotate" in text and AWS_KEY not in text
    assert data["tools"].get("detect-secrets")


def test_a_failing_test_is_reported_once_and_marked_resolved_when_fixed(repo: Callable[..., Repo]) -> None:
    r = repo()
    auditor = r.auditor()
    auditor.audit_new()
    broken = r.commit("refactor add", {"calc.py": "def add(a, b):\n    return a - b\n"})
    report = auditor.audit_new()
    assert report is not None and report.status == "FAIL" and report.metrics["test_pass_rate"] == 0.0
    [issue] = [i for i in report.issues if i.type == "TEST_FAILURE"]
    assert issue.id == "TST-001" and issue.severity.value == "high" and "test_add" in issue.description
    assert r.states[-6:] == [S.AUDITING, S.TESTING, S.VERIFYING, S.REPORTING, S.COMMUNICATING, S.WAIT_FOR_FIX]
    [high] = r.inbox()
    assert high.name.endswith("_HIGH.md") and broken in high.read_text()
    r.commit("docs", {"README.md": "calc\n"})
    again = auditor.audit_new()
    assert again is not None and [i.new for i in again.issues if i.type == "TEST_FAILURE"] == [False]
    assert len(r.inbox()) == 1  # never reported twice
    fixed = r.commit("fix add", {"calc.py": CALC})
    done = auditor.audit_new()
    assert done is not None and done.status == "PASS" and done.metrics["test_pass_rate"] == 1.0 and done.resolved
    assert r.inbox()[0].read_text().startswith(f"**Status: RESOLVED** in commit {fixed}")
    assert r.states[-1] == S.IDLE


def test_a_hung_test_suite_is_killed_and_reported_as_timeout(repo: Callable[..., Repo]) -> None:
    r = repo({"test_timeout_seconds": 3})
    auditor = r.auditor()
    auditor.audit_new()
    r.commit("slow test", {"tests/test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(120)\n"})
    started = time.monotonic()
    report = auditor.audit_new()
    assert report is not None and time.monotonic() - started < 60
    tests = next(s for s in report.stages if s.stage == "tests")
    assert tests.status == StageStatus.TIMEOUT and report.status == "FAIL"
    assert [i.type for i in report.issues] == ["TEST_TIMEOUT"]


def test_a_shell_script_with_a_shellcheck_error_is_a_lint_finding(repo: Callable[..., Repo]) -> None:
    r = repo()
    auditor = r.auditor()
    auditor.audit_new()
    r.commit("deploy script", {"deploy.sh": "#!/bin/sh\nif [ -f x ]\n  echo yes\nfi\n"})
    report = auditor.audit_new()
    assert report is not None
    lint = [i for i in report.issues if i.file == "deploy.sh"]
    assert lint and lint[0].id.startswith("LNT-") and lint[0].rule and lint[0].rule.startswith("SC")
    assert any(name.startswith("shellcheck") for name in report.tools)


def test_a_burst_of_five_commits_is_one_audit_of_head_that_still_scans_every_commit(repo: Callable[..., Repo]) -> None:
    r = repo()
    auditor = r.auditor()
    auditor.audit_new()
    shas = [r.commit("one", {"a.py": "A = 1\n"}), r.commit("two", {"keys.py": f'KEY = "{AWS_KEY}"\n'}),
            r.commit("three", {"b.py": "B = 2\n"}), r.commit("four: drop the key", {"keys.py": None}),
            r.commit("five [skip-audit]", {"c.py": "C = 3\n"})]
    report = auditor.audit_new()
    assert report is not None and report.commit_hash == shas[-1] and list(report.commits) == shas
    assert list(report.skipped) == [shas[-1]]
    [secret] = [i for i in report.issues if i.type == "SECRET_EXPOSURE"]
    assert secret.commit == shas[1] and secret.file == "keys.py"  # gone from HEAD, still in the history
    assert len(list((r.path / ".overseer" / "audit").glob("report_*.json"))) == 2  # the first audit and this one
    skipped = [e for e in r.sup.events(limit=1000) if e.kind == "audit.skipped"]
    assert [e.data["commit"] for e in skipped] == [shas[-1]]
    assert auditor.audit_new() is None  # nothing new


def test_after_a_force_push_only_the_rewritten_commits_are_audited(repo: Callable[..., Repo]) -> None:
    r = repo()
    auditor = r.auditor()
    auditor.audit_new()
    first = r.commit("a", {"a.py": "A = 1\n"})
    r.commit("b", {"b.py": "B = 1\n"})
    auditor.audit_new()
    git(r.path, "reset", "-q", "--hard", first)
    rewritten = r.commit("b again", {"b.py": "B = 2\n"})
    report = auditor.audit_new()
    assert report is not None and list(report.commits) == [rewritten]


class Killed(BaseException):
    pass


def test_a_restart_in_the_middle_of_an_audit_audits_that_batch_again_and_skips_nothing(
    repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = repo()
    auditor = r.auditor()
    auditor.audit_new()
    before = auditor.last_checked
    shas = [r.commit("a", {"a.py": "A = 1\n"}), r.commit("b", {"b.py": "B = 1\n"})]
    tests = auditor.stages["tests"]

    def die(ctx: object) -> object:
        raise Killed

    monkeypatch.setattr(tests, "run", die)
    with pytest.raises(Killed):
        auditor.audit_new()
    monkeypatch.undo()
    restarted = r.auditor()
    assert restarted.last_checked == before and restarted.state == S.IDLE
    report = restarted.audit_new()
    assert report is not None and list(report.commits) == shas and report.status == "PASS"
    assert restarted.last_checked == shas[-1] and restarted.audit_new() is None


def test_critical_and_high_findings_can_file_fix_tasks_in_the_graph(repo: Callable[..., Repo]) -> None:
    r = repo({"file_tasks": True})
    auditor = r.auditor()
    auditor.audit_new()
    r.commit("key", {"k.py": f'TOKEN = "{AWS_KEY}"\n'})
    auditor.audit_new()
    [task] = r.sup.list_tasks()
    assert task.title.startswith("Fix CRITICAL SECRET_EXPOSURE in k.py:1") and task.priority == 0 and "audit" in task.labels
    assert r.sup.create_task(NewTask(title="x"), actor="t")  # the graph is still usable


def test_coverage_and_pass_rate_are_measured_and_a_drop_in_coverage_is_a_medium_finding(repo: Callable[..., Repo]) -> None:
    r = repo()
    auditor = r.auditor()
    first = auditor.audit_new()
    assert first is not None and first.metrics["coverage"] == 100.0 and first.metrics["test_pass_rate"] == 1.0
    untested = "".join(f"\n\ndef f{n}(x):\n    if x:\n        return {n}\n    return -{n}\n" for n in range(8))
    r.commit("more code, no tests", {"calc.py": CALC + untested})
    report = auditor.audit_new()
    assert report is not None and report.metrics["coverage"] < 60
    [drop] = [i for i in report.issues if i.type == "COVERAGE_DROP"]
    assert drop.severity.value == "medium" and drop.id == "COV-001" and "100.0%" in drop.description
    [summary] = [p for p in r.inbox() if p.name.startswith("SUMMARY_")]
    assert "COV-001" in summary.read_text() and report.status == "PASS"  # MEDIUM: batched, not a failure


def test_a_critical_finding_is_also_sent_to_the_configured_notification_targets(repo: Callable[..., Repo]) -> None:
    import json

    from overseer.bootstrap import open_supervisor
    from tests.notify.receiver import WebhookReceiver

    with WebhookReceiver() as hook:
        r = repo()
        config = json.loads((r.path / "overseer.yaml").read_text())
        (r.path / "overseer.yaml").write_text(json.dumps({**config, "notify": {"urls": [hook.apprise_url("/audit")]}}))
        git(r.path, "commit", "-qam", "notify the team")
        r.sup.close()
        r.sup = open_supervisor(r.path)
        auditor = r.auditor()
        auditor.audit_new()
        sha = r.commit("key", {"k.py": f'TOKEN = "{AWS_KEY}"\n'})
        auditor.audit_new()
        [post] = hook.wait_for(1)
        assert post.json["title"] == f"CRITICAL SECRET_EXPOSURE in k.py at {sha[:10]}" and AWS_KEY not in str(post.json)
