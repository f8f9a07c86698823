"""Refusals of the task-graph API: unknown ids (404 naming the id), bad input (422 naming the field), no token (401),
odd ids in the path (404 or 422, never 500). Each leaves the store as it was."""

from __future__ import annotations

from typing import Any

import pytest

from overseer.domain import Event, Task
from overseer.ports import TaskQuery
from tests.api.conftest import Api
from tests.api.test_tasks import V1, create


def state(api: Api) -> tuple[list[Event], list[Task]]:
    return api.sup.events(0, 1000), api.sup.list_tasks(TaskQuery(include_deleted=True))


@pytest.fixture
def known(api: Api) -> str:
    """One open task, for requests that need an id that exists."""
    return str(create(api, title="known")["id"])


UNKNOWN = "ov-nosuch"
ON_AN_ID: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/tasks/{id}", None),
    ("PATCH", "/tasks/{id}", {"title": "x"}),
    ("POST", "/tasks/{id}/status", {"status": "cancelled"}),
    ("POST", "/tasks/{id}/close", None),
    ("POST", "/tasks/{id}/reopen", None),
    ("POST", "/tasks/{id}/dependencies", {"depends_on": "{known}"}),
    ("DELETE", "/tasks/{id}/dependencies/{known}", None),
    ("DELETE", "/tasks/{known}/dependencies/{id}", None),
    ("POST", "/tasks/{known}/dependencies", {"depends_on": "{id}"}),
    ("GET", "/tasks/{id}/tree", None),
    ("POST", "/tasks/{id}/claim", {"worker": "w"}),
    ("POST", "/tasks/{id}/heartbeat", {"worker": "w"}),
    ("POST", "/tasks/{id}/release", {"worker": "w"}),
    ("GET", "/epics/{id}", None),
    ("POST", "/tasks", {"title": "child", "parent": "{id}"}),
    ("POST", "/tasks", {"type": "BUG_FIX", "description": "d", "blocked_by": ["{id}"]}),
]


def fill(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [fill(v, **names) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, **names) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body"), ON_AN_ID, ids=[f"{m} {p} {b or ''}" for m, p, b in ON_AN_ID])
def test_an_unknown_id_is_404_naming_the_id_and_changes_nothing(api: Api, known: str, method: str, path: str,
                                                               body: dict[str, Any] | None) -> None:
    before = state(api)
    r = api.client.request(method, V1 + fill(path, id=UNKNOWN, known=known), json=fill(body, id=UNKNOWN, known=known), headers=api.auth)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert UNKNOWN in r.json()["detail"]
    assert state(api) == before


BAD: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("POST", "/tasks", {"title": "x", "priority": 9}, "priority"),
    ("POST", "/tasks", {"title": "x", "priority": -1}, "priority"),
    ("POST", "/tasks", {"title": "x", "priority": "urgent"}, "priority"),
    ("POST", "/tasks", {"title": "   "}, "title"),
    ("POST", "/tasks", {"body": "no title"}, "title"),
    ("POST", "/tasks", {"title": "x", "kind": "saga"}, "kind"),
    ("POST", "/tasks", {"title": "x", "work_type": "dreaming"}, "work_type"),
    ("POST", "/tasks", {"title": "x", "gates": ["never"]}, "gates.0"),
    ("POST", "/tasks", {"title": "x", "max_attempts": 0}, "max_attempts"),
    ("POST", "/tasks", {"title": "x", "colour": "red"}, "colour"),
    ("POST", "/tasks", {"title": "nul\u0000inside"}, "title"),
    ("POST", "/tasks", {"type": "DEPLOY", "title": "x"}, "type"),
    ("POST", "/tasks", {"type": 7, "title": "x"}, "type"),
    ("PATCH", "/tasks/{known}", {"priority": 5}, "priority"),
    ("PATCH", "/tasks/{known}", {"title": ""}, "title"),
    ("PATCH", "/tasks/{known}", {"attempts": 0}, "attempts"),
    ("PATCH", "/tasks/{known}", {"budget": {"max_attempts": 0}}, "budget.max_attempts"),
    ("POST", "/tasks/{known}/status", {"status": "finished"}, "status"),
    ("POST", "/tasks/{known}/status", {}, "status"),
    ("POST", "/tasks/{known}/dependencies", {"depends_on": "{known}", "type": "likes"}, "type"),
    ("POST", "/tasks/{known}/dependencies", {"depends_on": ""}, "depends_on"),
    ("POST", "/tasks/{known}/claim", {"worker": ""}, "worker"),
    ("POST", "/tasks/{known}/claim", {"worker": "w", "lease_seconds": 0}, "lease_seconds"),
    ("POST", "/ready/claim", {}, "worker"),
    ("POST", "/epics", {"title": "e", "priority": "someday"}, "priority"),
    ("GET", "/tasks?status=finished", None, "status.0"),
    ("GET", "/tasks?limit=0", None, "limit"),
    ("GET", "/tasks?limit=100000", None, "limit"),
    ("GET", "/tasks?offset=-1", None, "offset"),
    ("GET", "/ready?limit=100000", None, "limit"),
    ("GET", "/epics/{known}", None, "id"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD, ids=[f"{m} {p} {f}" for m, p, _, f in BAD])
def test_invalid_input_is_422_naming_the_field_and_changes_nothing(api: Api, known: str, method: str, path: str,
                                                                 body: dict[str, Any] | None, field: str) -> None:
    before = state(api)
    r = api.client.request(method, V1 + fill(path, known=known), json=fill(body, known=known), headers=api.auth)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert state(api) == before


MUTATING: list[tuple[str, str]] = [
    ("POST", "/tasks"), ("PATCH", "/tasks/{known}"), ("POST", "/tasks/{known}/status"), ("POST", "/tasks/{known}/close"),
    ("POST", "/tasks/{known}/reopen"), ("POST", "/tasks/{known}/dependencies"), ("DELETE", "/tasks/{known}/dependencies/ov-x"),
    ("POST", "/ready/claim"), ("POST", "/tasks/{known}/claim"), ("POST", "/tasks/{known}/heartbeat"),
    ("POST", "/tasks/{known}/release"), ("POST", "/epics"),
]


def test_a_mutating_request_without_the_token_is_401_and_changes_nothing(api: Api, known: str) -> None:
    before = state(api)
    for method, path in MUTATING:
        r = api.client.request(method, V1 + fill(path, known=known), json={"title": "x", "worker": "w", "status": "cancelled"})
        assert r.status_code == 401, (method, path)
        wrong = api.client.request(method, V1 + fill(path, known=known), json={"title": "x"}, headers={"Authorization": "Bearer no"})
        assert wrong.status_code == 401, (method, path)
    assert state(api) == before


ODD_IDS = ["..", "%2E%2E", "..%2F..%2Fetc%2Fpasswd", "..%5C..%5Cwindows", "%00", "ov-1%0Aov-2", "%27%20OR%201%3D1--", "a" * 65,
           "%F0%9F%92%A5", "ov-1;rm%20-rf"]


def test_an_odd_id_in_the_path_is_an_unknown_id_or_invalid_input_never_a_server_error(api: Api, known: str) -> None:
    before = state(api)
    for odd in ODD_IDS:
        for method, path in (("GET", f"/tasks/{odd}"), ("PATCH", f"/tasks/{odd}"), ("POST", f"/tasks/{odd}/close"),
                             ("GET", f"/tasks/{odd}/tree"), ("DELETE", f"/tasks/{known}/dependencies/{odd}")):
            r = api.client.request(method, V1 + path, json={"title": "x"} if method == "PATCH" else None, headers=api.auth)
            assert r.status_code in (404, 405, 422), (method, path, r.text)
            assert r.headers["content-type"].startswith("application/problem+json"), (method, path)
    assert state(api) == before
