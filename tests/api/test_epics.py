"""Epics over the API: created, listed with their progress, shown with their children, closed by their last child."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_tasks import V1, create


def epic(api: Api, title: str = "Auth", **body: object) -> str:
    r = api.client.post(f"{V1}/epics", json={"title": title, **body}, headers=api.auth)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "epic"
    return r.json()["id"]  # type: ignore[no-any-return]


def test_an_epics_status_counts_its_children_and_names_the_ready_ones(api: Api) -> None:
    e = epic(api, priority="high", labels=["q3"])
    a = create(api, title="a", parent=e)["id"]
    b = create(api, title="b", parent=e, blocked_by=[a])["id"]
    gone = create(api, title="gone", parent=e)["id"]
    api.client.post(f"{V1}/tasks/{gone}/status", json={"status": "deleted"}, headers=api.auth)
    status = api.client.get(f"{V1}/epics/{e}").json()
    assert (status["epic"]["id"], status["epic"]["priority"], status["done"], status["total"]) == (e, 1, 0, 2)
    assert {c["id"] for c in status["children"]} == {a, b}
    assert status["counts"] == {"open": 2} and status["ready"] == [a]
    api.client.post(f"{V1}/tasks/{a}/close", headers=api.auth)
    status = api.client.get(f"{V1}/epics/{e}").json()
    assert (status["done"], status["counts"], status["ready"]) == (1, {"done": 1, "open": 1}, [b])


def test_closing_the_last_child_closes_the_epic(api: Api) -> None:
    e = epic(api)
    only = create(api, title="only", parent=e)["id"]
    api.client.post(f"{V1}/tasks/{only}/close", headers=api.auth)
    assert api.client.get(f"{V1}/epics/{e}").json()["epic"]["status"] == "done"


def test_listing_epics_pages_and_gives_each_its_done_and_total(api: Api) -> None:
    first, second, third = epic(api, "one", priority=0), epic(api, "two", priority=1), epic(api, "three", priority=2)
    for i in range(3):
        create(api, title=f"c{i}", parent=second)
    create(api, title="not an epic")
    api.client.post(f"{V1}/tasks/{create(api, title='done', parent=second)['id']}/close", headers=api.auth)
    page = api.client.get(f"{V1}/epics", params={"limit": 2}).json()
    assert [(x["epic"]["id"], x["done"], x["total"]) for x in page["epics"]] == [(first, 0, 0), (second, 1, 4)]
    assert (page["total"], page["next_offset"]) == (3, 2)
    rest = api.client.get(f"{V1}/epics", params={"limit": 2, "offset": 2}).json()
    assert [x["epic"]["id"] for x in rest["epics"]] == [third] and rest["next_offset"] is None


def test_asking_for_the_status_of_a_task_that_is_not_an_epic_is_422_naming_the_id(api: Api) -> None:
    task = create(api, title="plain")["id"]
    r = api.client.get(f"{V1}/epics/{task}")
    assert (r.status_code, r.json()["field"]) == (422, "id") and "not an epic" in r.json()["detail"]
