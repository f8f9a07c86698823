"""Approvals over the API: what waits, approve (a start gate, a gated landing), reject, and refusals that change nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

from overseer.api.auth import COOKIE, Auth
from overseer.domain import Task, TaskStatus
from overseer.domain.runs import Run, RunStatus
from overseer.domain.verification import Verdict
from overseer.service import NewTask
from tests.api.conftest import TOKEN, Api


def held(api: Api, title: str = "Migrate the billing tables") -> Task:
    return api.sup.create_task(NewTask(title=title, gates=("start",)), actor="test")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


def awaiting(api: Api, task: Task) -> Task:
    """Walk ``task`` as the runner and the gate would: claimed, running, verifying, then waiting for a person."""
    assert api.sup.claim(task.id, "worker") is not None
    for status in (TaskStatus.RUNNING, TaskStatus.VERIFYING, TaskStatus.AWAITING_APPROVAL):
        api.sup.set_status(task.id, status, actor="test")
    return api.sup.get(task.id)


def test_a_task_held_at_its_start_gate_waits_and_approving_it_lifts_the_hold(api: Api) -> None:
    task = held(api)
    [row] = api.client.get("/api/v1/approvals").json()["approvals"]
    assert row["id"] == task.id and row["kind"] == "start" and row["status"] == "open" and row["run"] is None
    assert api.sup.ready() == []

    r = api.client.post(f"/api/v1/approvals/{task.id}/approve", json={"note": "go ahead"}, headers=api.auth)
    assert r.status_code == 200 and r.json() | {"detail": ""} == {"id": task.id, "status": "open", "action": "released", "detail": ""}
    assert api.sup.get(task.id).hold is None and [t.id for t in api.sup.ready()] == [task.id]
    granted = [e for e in api.sup.events(0, 100, task.id) if e.kind == "approval.granted"]
    assert granted[-1].data["note"] == "go ahead" and granted[-1].actor == "api"
    assert api.client.get("/api/v1/approvals").json() == {"approvals": [], "count": 0}


def test_approve_needs_no_body_and_the_dashboard_posts_with_its_cookie_and_csrf_header(api: Api) -> None:
    first, second = held(api, "one"), held(api, "two")
    assert api.client.post(f"/api/v1/approvals/{first.id}/approve", headers=api.auth).json()["action"] == "released"
    cookie = {"Cookie": f"{COOKIE}={TOKEN}"}
    assert api.client.post(f"/api/v1/approvals/{second.id}/approve", json={}, headers=cookie).status_code == 403
    r = api.client.post(f"/api/v1/approvals/{second.id}/approve", json={}, headers={**cookie, "X-CSRF-Token": Auth(TOKEN).csrf})
    assert r.status_code == 200 and r.json()["action"] == "released"


def test_rejecting_a_held_task_cancels_it_with_the_reason(api: Api) -> None:
    task = held(api)
    r = api.client.post(f"/api/v1/approvals/{task.id}/reject", json={"reason": "not this quarter"}, headers=api.auth)
    assert r.json() == {"id": task.id, "status": "cancelled", "action": "cancelled", "detail": "not this quarter"}
    after = api.sup.get(task.id)
    assert after.status == TaskStatus.CANCELLED and "not this quarter" in (after.close_reason or "")


def test_work_that_needs_guidance_is_listed_and_a_rejection_sends_it_back_with_the_reason(api: Api) -> None:
    task = awaiting(api, api.sup.create_task(NewTask(title="Refactor the parser"), actor="test"))
    [row] = api.client.get("/api/v1/approvals").json()["approvals"]
    assert row["id"] == task.id and row["kind"] == "needs_guidance" and row["status"] == "awaiting_approval"
    r = api.client.post(f"/api/v1/approvals/{task.id}/reject", json={"reason": "keep the public names"}, headers=api.auth)
    assert r.json()["action"] == "sent_back" and r.json()["status"] == "open"
    rejected = [e for e in api.sup.events(0, 100, task.id) if e.kind == "approval.rejected"]
    assert rejected[-1].data["reason"] == "keep the public names" and api.sup.get(task.id).status == TaskStatus.OPEN


def test_approving_gated_verified_work_lands_its_run_on_the_integration_branch(api: Api) -> None:
    base = git(api.root, "rev-parse", "HEAD")
    git(api.root, "branch", "overseer/integration/main", "main")
    git(api.root, "checkout", "-q", "-b", "overseer/run/run-land")
    (api.root / "CHANGELOG.md").write_text("- multiply\n")
    git(api.root, "add", "-A")
    git(api.root, "commit", "-qm", "agent work")
    head = git(api.root, "rev-parse", "HEAD")
    git(api.root, "checkout", "-q", "main")
    task = awaiting(api, api.sup.create_task(NewTask(title="Add multiply", gates=("land",)), actor="test"))
    api.ctx.runs.add_run(Run("run-land", task.id, "claude", "claude-code", status=RunStatus.SUCCEEDED, branch="overseer/run/run-land",
                             base_commit=base, head_commit=head, verdict=Verdict.APPROVED), actor="test")
    [row] = api.client.get("/api/v1/approvals").json()["approvals"]
    assert (row["kind"], row["run"], row["verdict"]) == ("land", "run-land", "approved")

    outcome = api.client.post(f"/api/v1/approvals/{task.id}/approve", json={"note": "looks right"}, headers=api.auth).json()
    assert outcome["action"] == "landed" and outcome["status"] == "done"
    assert git(api.root, "show", "overseer/integration/main:CHANGELOG.md") == "- multiply"
    assert api.client.get("/api/v1/runs/run-land").json()["landed_commit"] == git(api.root, "rev-parse", "overseer/integration/main")


def test_reject_without_a_reason_is_refused_naming_reason_and_changes_nothing(api: Api) -> None:
    task = held(api)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        r = api.client.post(f"/api/v1/approvals/{task.id}/reject", json=body, headers=api.auth)
        assert r.status_code == 422 and r.json()["field"] == "reason", body
    assert api.sup.get(task.id).status == TaskStatus.OPEN and api.sup.get(task.id).hold


def test_unknown_ids_are_404_naming_them(api: Api) -> None:
    for action, body in (("approve", {}), ("reject", {"reason": "no"})):
        r = api.client.post(f"/api/v1/approvals/ov-nothing/{action}", json=body, headers=api.auth)
        assert r.status_code == 404 and "ov-nothing" in r.json()["detail"]


def test_approving_what_does_not_wait_is_refused_naming_the_id(api: Api) -> None:
    task = api.sup.create_task(NewTask(title="plain"), actor="test")
    r = api.client.post(f"/api/v1/approvals/{task.id}/approve", headers=api.auth)
    assert r.status_code == 422 and r.json()["field"] == "id" and task.id in r.json()["detail"]
    assert api.client.post(f"/api/v1/approvals/{task.id}/approve", json={"nte": "typo"}, headers=api.auth).json()["field"] == "nte"


def test_approve_and_reject_without_a_token_are_401_and_change_nothing(api: Api) -> None:
    task = held(api)
    assert api.client.post(f"/api/v1/approvals/{task.id}/approve", json={}).status_code == 401
    assert api.client.post(f"/api/v1/approvals/{task.id}/reject", json={"reason": "x"},
                           headers={"Authorization": "Bearer wrong"}).status_code == 401
    after = api.sup.get(task.id)
    assert after.status == TaskStatus.OPEN and after.hold == task.hold and after.version == task.version
