"""Typed submissions through ``POST /api/v1/tasks``: each type becomes a task of the right kind, work type and
complexity, with a prompt that carries what was submitted; each refuses what it cannot use, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from overseer.api.submissions import SUBMISSIONS
from overseer.domain import Complexity, WorkType
from tests.api.conftest import Api
from tests.api.test_tasks import V1

CASES: list[tuple[dict[str, Any], str, WorkType, Complexity, list[str]]] = [
    ({"type": "PR_REVIEW", "pr_url": "https://github.com/acme/app/pull/42", "branch": "feat/login", "base": "develop",
      "focus": ["token handling"]},
     "review", WorkType.REVIEW, Complexity.MEDIUM, ["https://github.com/acme/app/pull/42", "`feat/login`", "`develop`", "token handling"]),
    ({"type": "ISSUE_SUMMARY", "issue_url": "https://github.com/acme/app/issues/7", "text": "Login fails on Safari\nsince 2.3"},
     "task", WorkType.PLANNING, Complexity.SIMPLE, ["https://github.com/acme/app/issues/7", "Login fails on Safari", "since 2.3"]),
    ({"type": "CODE_ANALYSIS", "question": "Where are sessions invalidated?", "paths": ["src/auth/"]},
     "task", WorkType.REVIEW, Complexity.MEDIUM, ["Where are sessions invalidated?", "src/auth/"]),
    ({"type": "REFACTOR", "goal": "Split the session module", "paths": ["src/auth/session.py"], "constraints": ["keep the public API"]},
     "chore", WorkType.IMPLEMENTATION, Complexity.MEDIUM, ["Split the session module", "src/auth/session.py", "keep the public API"]),
    ({"type": "BUG_FIX", "description": "Logout leaves the cookie", "steps": ["log in", "log out"], "expected": "cookie gone",
      "actual": "cookie stays", "file_hints": ["src/auth/logout.py"]},
     "bug", WorkType.IMPLEMENTATION, Complexity.MEDIUM,
     ["Logout leaves the cookie", "1. log in", "2. log out", "cookie gone", "cookie stays", "src/auth/logout.py"]),
    ({"type": "FEATURE", "description": "Remember me on login", "acceptance": ["session lasts 30 days"], "file_hints": ["src/auth/"]},
     "feature", WorkType.IMPLEMENTATION, Complexity.MEDIUM, ["Remember me on login", "session lasts 30 days", "src/auth/"]),
]


def submit(api: Api, body: dict[str, Any]) -> Any:
    return api.client.post(f"{V1}/tasks", json=body, headers=api.auth)


def test_the_cases_cover_every_submission_type() -> None:
    assert {c[0]["type"] for c in CASES} == set(SUBMISSIONS)


@pytest.mark.parametrize(("body", "kind", "work", "complexity", "mentions"), CASES, ids=[c[0]["type"] for c in CASES])
def test_a_typed_submission_becomes_a_task_of_its_kind_and_work_type_whose_body_carries_its_fields(
        api: Api, body: dict[str, Any], kind: str, work: WorkType, complexity: Complexity, mentions: list[str]) -> None:
    r = submit(api, {**body, "priority": "high"})
    assert r.status_code == 201, r.text
    task = api.sup.get(r.json()["id"])
    assert (task.kind, task.work_type, task.complexity, task.priority) == (kind, work, complexity, 1)
    assert body["type"].lower().replace("_", "-") in task.labels
    assert task.title.strip() and len(task.title) <= 100
    for text in mentions:
        assert text in task.body, text


def test_read_only_submissions_tell_the_agent_where_to_write_its_answer(api: Api) -> None:
    task = submit(api, {"type": "CODE_ANALYSIS", "question": "Why is boot slow?"}).json()
    assert "`reports/analyse-why-is-boot-slow.md`" in task["body"]


def test_a_bug_fix_and_a_feature_carry_acceptance_criteria_and_file_hints_into_the_task(api: Api) -> None:
    feature = api.sup.get(submit(api, CASES[5][0]).json()["id"])
    assert (feature.acceptance, feature.file_hints) == (("session lasts 30 days",), ("src/auth/",))
    bug = api.sup.get(submit(api, CASES[4][0]).json()["id"])
    assert bug.file_hints == ("src/auth/logout.py",) and any("fails before the fix" in a for a in bug.acceptance)


def test_a_submission_keeps_a_given_title_labels_and_complexity(api: Api) -> None:
    task = submit(api, {"type": "BUG_FIX", "description": "x", "title": "Fix the thing", "labels": ["urgent"],
                        "complexity": "complex", "priority": 0}).json()
    assert (task["title"], task["labels"], task["complexity"], task["priority"]) == ("Fix the thing", ["bug-fix", "urgent"], "complex", 0)


def test_a_refactor_without_paths_to_narrow_it_is_complex(api: Api) -> None:
    assert submit(api, {"type": "REFACTOR", "goal": "tidy everything"}).json()["complexity"] == "complex"


def test_a_submission_can_sit_under_an_epic_and_wait_for_another_task(api: Api) -> None:
    epic = api.client.post(f"{V1}/epics", json={"title": "Auth"}, headers=api.auth).json()["id"]
    first = submit(api, {"type": "FEATURE", "description": "login", "parent": epic}).json()["id"]
    second = submit(api, {"type": "PR_REVIEW", "branch": "feat/login", "parent": epic, "blocked_by": [first]}).json()["id"]
    view = api.sup.show(second)
    assert {(d.depends_on, d.type) for d in view.depends_on} == {(epic, "parent-child"), (first, "blocks")}
    assert view.blocked


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "PR_REVIEW"}, "pr_url"),
    ({"type": "PR_REVIEW", "pr_url": "not a url"}, "pr_url"),
    ({"type": "PR_REVIEW", "branch": "feat x; rm -rf /"}, "branch"),
    ({"type": "ISSUE_SUMMARY"}, "text"),
    ({"type": "CODE_ANALYSIS", "paths": ["src"]}, "question"),
    ({"type": "REFACTOR", "goal": "  "}, "goal"),
    ({"type": "BUG_FIX", "description": "x", "steps": "one string"}, "steps"),
    ({"type": "FEATURE", "description": "x", "priority": 5}, "priority"),
    ({"type": "FEATURE", "description": "x", "priority": "whenever"}, "priority"),
    ({"type": "FEATURE", "description": "x", "kind": "bug"}, "kind"),
    ({"type": "bug_fix", "description": "x"}, "type"),
])
def test_a_typed_submission_missing_or_misusing_a_field_is_422_naming_it(api: Api, body: dict[str, Any], field: str) -> None:
    r = submit(api, body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert api.sup.events(0, 10) == []


def test_the_openapi_document_offers_the_plain_body_and_every_typed_submission(api: Api) -> None:
    doc = api.client.get(f"{V1}/openapi.json").json()
    body = doc["paths"]["/api/v1/tasks"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    offered = {ref["$ref"].rsplit("/", 1)[1] for ref in body["oneOf"]}
    assert offered == {"TaskCreate", *(cls.__name__ for cls in SUBMISSIONS.values())}
    assert doc["components"]["schemas"]["BugFix"]["properties"]["type"]["const"] == "BUG_FIX"
