"""Ready work and claims over the API: the order, pages, one winner per task, leases, release."""

from __future__ import annotations

from datetime import datetime

from tests.api.conftest import Api
from tests.api.test_tasks import V1, create, ids


def test_ready_lists_work_in_the_order_it_will_be_taken_and_pages(api: Api) -> None:
    made = {p: create(api, title=f"p{p}", priority=p)["id"] for p in (3, 0, 2, 1)}
    api.client.post(f"{V1}/epics", json={"title": "not work"}, headers=api.auth)
    first = api.client.get(f"{V1}/ready", params={"limit": 3}).json()
    assert (ids(first), first["more"]) == ([made[0], made[1], made[2]], True)
    rest = api.client.get(f"{V1}/ready", params={"limit": 3, "offset": 3}).json()
    assert (ids(rest), rest["more"]) == ([made[3]], False)


def test_claiming_the_next_task_twice_gives_the_second_claimer_nothing(api: Api) -> None:
    only = create(api, title="only one")["id"]
    first = api.client.post(f"{V1}/ready/claim", json={"worker": "w1", "lease_seconds": 60}, headers=api.auth)
    assert first.status_code == 200 and (first.json()["id"], first.json()["claimed_by"], first.json()["status"]) == (only, "w1", "claimed")
    second = api.client.post(f"{V1}/ready/claim", json={"worker": "w2"}, headers=api.auth)
    assert (second.status_code, second.content) == (204, b"")
    assert api.sup.get(only).claimed_by == "w1"


def test_claiming_a_task_another_worker_holds_is_409_naming_the_holder(api: Api) -> None:
    task = create(api, title="t")["id"]
    assert api.client.post(f"{V1}/tasks/{task}/claim", json={"worker": "w1"}, headers=api.auth).json()["claimed_by"] == "w1"
    before = api.sup.events(0, 1000)
    r = api.client.post(f"{V1}/tasks/{task}/claim", json={"worker": "w2"}, headers=api.auth)
    assert r.status_code == 409 and "w1" in r.json()["detail"]
    assert api.sup.events(0, 1000) == before and api.sup.get(task).claimed_by == "w1"


def test_claiming_a_blocked_task_is_409_and_leaves_it_open(api: Api) -> None:
    blocker = create(api, title="first")["id"]
    waiting = create(api, title="then", blocked_by=[blocker])["id"]
    r = api.client.post(f"{V1}/tasks/{waiting}/claim", json={"worker": "w"}, headers=api.auth)
    assert r.status_code == 409 and "not ready" in r.json()["detail"]
    assert api.sup.get(waiting).claimed_by is None


def test_a_heartbeat_renews_the_holders_lease_and_refuses_anyone_else(api: Api) -> None:
    task = create(api, title="t")["id"]
    claimed = api.client.post(f"{V1}/tasks/{task}/claim", json={"worker": "w1", "lease_seconds": 10}, headers=api.auth).json()
    r = api.client.post(f"{V1}/tasks/{task}/heartbeat", json={"worker": "w1", "lease_seconds": 3600}, headers=api.auth)
    assert r.status_code == 200 and r.json()["renewed"] is True
    renewed = datetime.fromisoformat(r.json()["task"]["lease_expires_at"])
    assert (renewed - datetime.fromisoformat(claimed["lease_expires_at"])).total_seconds() > 3000
    r = api.client.post(f"{V1}/tasks/{task}/heartbeat", json={"worker": "w2"}, headers=api.auth)
    assert r.status_code == 409 and "w1" in r.json()["detail"]
    assert api.sup.get(task).lease_expires_at == renewed


def test_releasing_gives_the_task_back_to_the_ready_queue(api: Api) -> None:
    task = create(api, title="t")["id"]
    api.client.post(f"{V1}/ready/claim", json={"worker": "w1"}, headers=api.auth)
    assert ids(api.client.get(f"{V1}/ready").json()) == []
    wrong = api.client.post(f"{V1}/tasks/{task}/release", json={"worker": "w2"}, headers=api.auth)
    assert wrong.status_code == 409 and api.sup.get(task).claimed_by == "w1"
    r = api.client.post(f"{V1}/tasks/{task}/release", json={"worker": "w1"}, headers=api.auth)
    assert r.status_code == 200 and (r.json()["status"], r.json()["claimed_by"]) == ("open", None)
    assert ids(api.client.get(f"{V1}/ready").json()) == [task]
