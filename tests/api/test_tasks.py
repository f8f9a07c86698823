"""The task-graph API: creating, listing, paging, showing, changing and moving tasks, and their dependencies."""

from __future__ import annotations

from typing import Any

import pytest

from overseer.api.schemas import TaskOut
from overseer.domain import TaskStatus, WorkType
from overseer.domain.serialize import task_dict
from tests.api.conftest import Api

V1 = "/api/v1"


def create(api: Api, **body: Any) -> dict[str, Any]:
    r = api.client.post(f"{V1}/tasks", json=body, headers=api.auth)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def ids(page: dict[str, Any]) -> list[str]:
    return [t["id"] for t in page["tasks"]]


def test_creating_a_task_answers_201_with_the_task_as_the_store_holds_it(api: Api) -> None:
    body = create(api, title="Add login", body="with OAuth", kind="feature", priority=1, work_type="planning", complexity="complex",
                  labels=["auth"], acceptance=["a user can log in"], file_hints=["src/auth.py"], max_attempts=5, max_cost_usd=2.5)
    stored = api.sup.get(body["id"])
    assert body == task_dict(stored)
    assert (stored.kind, stored.priority, stored.work_type, stored.labels) == ("feature", 1, WorkType.PLANNING, ("auth",))
    assert (stored.budget.max_attempts, stored.budget.max_cost_usd) == (5, 2.5)
    assert [e.kind for e in api.sup.events(0, 10)] == ["task.created"]


def test_a_task_left_without_options_takes_the_config_defaults(api: Api) -> None:
    body = create(api, title="Plain")
    d = api.sup.config.defaults
    assert (body["priority"], body["work_type"], body["complexity"]) == (d.priority, d.work_type.value, d.complexity.value)


@pytest.mark.parametrize(("given", "stored"), [("critical", 0), ("High", 1), ("medium", 2), ("low", 3), ("backlog", 4), (0, 0), (4, 4)])
def test_a_priority_may_be_given_by_name_or_by_number(api: Api, given: object, stored: int) -> None:
    assert create(api, title="p", priority=given)["priority"] == stored


def test_the_task_response_model_declares_every_field_task_dict_renders(api: Api) -> None:
    assert set(TaskOut.model_fields) == set(create(api, title="x"))


def test_listing_pages_with_limit_and_offset_and_says_the_total(api: Api) -> None:
    made = [create(api, title=f"t{i}", priority=i % 3)["id"] for i in range(7)]
    ordered = [t.id for t in api.sup.list_tasks()]
    assert sorted(made) == sorted(ordered)
    first = api.client.get(f"{V1}/tasks", params={"limit": 3}).json()
    assert (ids(first), first["total"], first["limit"], first["offset"], first["next_offset"]) == (ordered[:3], 7, 3, 0, 3)
    last = api.client.get(f"{V1}/tasks", params={"limit": 3, "offset": 6}).json()
    assert (ids(last), last["total"], last["next_offset"]) == (ordered[6:], 7, None)
    assert api.client.get(f"{V1}/tasks").json()["limit"] == api.ctx.settings.page_size


def test_listing_puts_the_most_urgent_first(api: Api) -> None:
    low, high, mid = (create(api, title=t, priority=p)["id"] for t, p in (("low", 4), ("high", 0), ("mid", 2)))
    assert ids(api.client.get(f"{V1}/tasks").json()) == [high, mid, low]


def test_listing_filters_by_status_kind_label_and_parent(api: Api) -> None:
    epic = api.client.post(f"{V1}/epics", json={"title": "E"}, headers=api.auth).json()["id"]
    bug = create(api, title="b", kind="bug", labels=["ui"], parent=epic)["id"]
    feat = create(api, title="f", kind="feature", labels=["ui", "api"])["id"]
    done = create(api, title="d")["id"]
    api.client.post(f"{V1}/tasks/{done}/close", headers=api.auth)

    def listed(**params: Any) -> set[str]:
        r = api.client.get(f"{V1}/tasks", params=params)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == len(r.json()["tasks"])
        return set(ids(r.json()))

    assert listed(kind="bug") == {bug}
    assert listed(label="ui") == {bug, feat}
    assert listed(parent=epic) == {bug}
    assert listed(status="done") == {done}
    assert listed(status=["done", "open"], kind="feature") == {feat}


def test_showing_a_task_gives_its_dependencies_both_ways_and_its_children(api: Api) -> None:
    epic = api.client.post(f"{V1}/epics", json={"title": "E"}, headers=api.auth).json()["id"]
    first = create(api, title="first", parent=epic)["id"]
    second = create(api, title="second", parent=epic, blocked_by=[first])["id"]
    view = api.client.get(f"{V1}/tasks/{first}").json()
    assert view["task"]["id"] == first and view["blocked"] is False
    assert [(d["task_id"], d["depends_on"], d["type"]) for d in view["depends_on"]] == [(first, epic, "parent-child")]
    assert [(d["task_id"], d["type"]) for d in view["dependents"]] == [(second, "blocks")]
    assert api.client.get(f"{V1}/tasks/{second}").json()["blocked"] is True
    assert {c["id"] for c in api.client.get(f"{V1}/tasks/{epic}").json()["children"]} == {first, second}


def test_patching_changes_only_the_fields_given_and_merges_the_budget(api: Api) -> None:
    made = create(api, title="old", body="keep me", labels=["a"], max_attempts=4)
    r = api.client.patch(f"{V1}/tasks/{made['id']}", json={"title": "new", "priority": "critical", "labels": ["b", "c"],
                                                             "notes": "n", "budget": {"max_cost_usd": 3.0}}, headers=api.auth)
    assert r.status_code == 200, r.text
    task = api.sup.get(made["id"])
    assert (task.title, task.body, task.priority, task.labels, task.notes) == ("new", "keep me", 0, ("b", "c"), "n")
    assert (task.budget.max_attempts, task.budget.max_cost_usd) == (4, 3.0)
    assert r.json() == task_dict(task) and task.version == made["version"] + 1


def test_patching_null_clears_the_profile_but_is_refused_for_the_title(api: Api) -> None:
    made = create(api, title="t", profile="careful")
    assert api.client.patch(f"{V1}/tasks/{made['id']}", json={"profile": None}, headers=api.auth).json()["profile"] is None
    r = api.client.patch(f"{V1}/tasks/{made['id']}", json={"title": None}, headers=api.auth)
    assert (r.status_code, r.json()["field"]) == (422, "title")
    assert api.sup.get(made["id"]).title == "t"


def test_an_empty_patch_is_refused_naming_what_is_missing(api: Api) -> None:
    made = create(api, title="t")
    r = api.client.patch(f"{V1}/tasks/{made['id']}", json={}, headers=api.auth)
    assert (r.status_code, r.json()["field"]) == (422, "changes")


def test_a_status_move_follows_the_state_machine_and_records_the_reason(api: Api) -> None:
    made = create(api, title="t")["id"]
    r = api.client.post(f"{V1}/tasks/{made}/status", json={"status": "cancelled", "reason": "not needed"}, headers=api.auth)
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["close_reason"] == "not needed"
    assert api.sup.events(0, 10)[-1].data == {"from": "open", "to": "cancelled", "reason": "not needed"}


def test_a_status_move_the_state_machine_forbids_is_409_and_changes_nothing(api: Api) -> None:
    made = create(api, title="t")["id"]
    before = api.sup.events(0, 1000)
    r = api.client.post(f"{V1}/tasks/{made}/status", json={"status": "verifying"}, headers=api.auth)
    assert r.status_code == 409 and "cannot go from open to verifying" in r.json()["detail"]
    assert api.sup.events(0, 1000) == before and api.sup.get(made).status == TaskStatus.OPEN


def test_closing_marks_a_task_done_and_reopening_opens_it_again(api: Api) -> None:
    made = create(api, title="t")["id"]
    closed = api.client.post(f"{V1}/tasks/{made}/close", json={"reason": "shipped"}, headers=api.auth).json()
    assert (closed["status"], closed["close_reason"]) == ("done", "shipped")
    assert api.client.post(f"{V1}/tasks/{made}/reopen", headers=api.auth).json()["status"] == "open"
    assert api.client.post(f"{V1}/tasks/{made}/close", headers=api.auth).json()["status"] == "done"


def ready_ids(api: Api) -> list[str]:
    return ids(api.client.get(f"{V1}/ready").json())


def test_a_dependency_makes_a_task_not_ready_and_closing_the_blocker_makes_it_ready(api: Api) -> None:
    blocker, waiting = create(api, title="first")["id"], create(api, title="then")["id"]
    r = api.client.post(f"{V1}/tasks/{waiting}/dependencies", json={"depends_on": blocker}, headers=api.auth)
    assert r.status_code == 201 and (r.json()["type"], r.json()["gates"]) == ("blocks", True)
    assert ready_ids(api) == [blocker]
    api.client.post(f"{V1}/tasks/{blocker}/close", headers=api.auth)
    assert ready_ids(api) == [waiting]


def test_a_related_dependency_does_not_hold_a_task_back(api: Api) -> None:
    a, b = create(api, title="a")["id"], create(api, title="b")["id"]
    api.client.post(f"{V1}/tasks/{b}/dependencies", json={"depends_on": a, "type": "related"}, headers=api.auth)
    assert set(ready_ids(api)) == {a, b}


def test_removing_the_dependency_makes_the_task_ready_again(api: Api) -> None:
    blocker, waiting = create(api, title="first")["id"], create(api, title="then")["id"]
    api.client.post(f"{V1}/tasks/{waiting}/dependencies", json={"depends_on": blocker}, headers=api.auth)
    r = api.client.delete(f"{V1}/tasks/{waiting}/dependencies/{blocker}", params={"type": "blocks"}, headers=api.auth)
    assert r.status_code == 204 and r.content == b""
    assert set(ready_ids(api)) == {blocker, waiting}


def test_removing_a_dependency_that_does_not_exist_is_404_and_changes_nothing(api: Api) -> None:
    a, b = create(api, title="a")["id"], create(api, title="b")["id"]
    before = api.sup.events(0, 1000)
    r = api.client.delete(f"{V1}/tasks/{b}/dependencies/{a}", headers=api.auth)
    assert r.status_code == 404 and a in r.json()["detail"] and b in r.json()["detail"]
    assert api.sup.events(0, 1000) == before


def test_a_dependency_that_would_close_a_cycle_is_409_naming_the_loop(api: Api) -> None:
    a, b = create(api, title="a")["id"], create(api, title="b")["id"]
    api.client.post(f"{V1}/tasks/{b}/dependencies", json={"depends_on": a}, headers=api.auth)
    before = api.sup.events(0, 1000)
    r = api.client.post(f"{V1}/tasks/{a}/dependencies", json={"depends_on": b}, headers=api.auth)
    assert r.status_code == 409 and r.json()["error"] == "CycleError" and set(r.json()["path"]) == {a, b}
    assert api.sup.events(0, 1000) == before


def test_the_tree_shows_what_a_task_waits_on_and_reversed_what_waits_on_it(api: Api) -> None:
    a, b = create(api, title="a")["id"], create(api, title="b")["id"]
    c = create(api, title="c", blocked_by=[b])["id"]
    api.client.post(f"{V1}/tasks/{b}/dependencies", json={"depends_on": a}, headers=api.auth)
    tree = api.client.get(f"{V1}/tasks/{c}/tree").json()
    assert (tree["task_id"], tree["children"][0]["task_id"], tree["children"][0]["children"][0]["task_id"]) == (c, b, a)
    reverse = api.client.get(f"{V1}/tasks/{a}/tree", params={"reverse": True}).json()
    assert reverse["children"][0]["task_id"] == b and reverse["children"][0]["children"][0]["task_id"] == c
