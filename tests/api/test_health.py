"""Health endpoints and the guard every request passes (token, body size)."""

from __future__ import annotations

from tests.api.conftest import Api


def test_healthz_answers_without_a_token(api: Api) -> None:
    assert api.client.get("/api/v1/healthz").json() == {"status": "ok"}


def test_readyz_reports_the_store_and_the_executor_with_latencies(api: Api) -> None:
    body = api.client.get("/api/v1/readyz").json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"store", "executor"}
    assert all(c["status"] == "ok" and c["latency_ms"] >= 0 for c in body["checks"].values())


def test_detailed_health_names_a_broken_component_and_why(api: Api) -> None:
    api.ctx.probes["runner"] = lambda: (_ for _ in ()).throw(RuntimeError("preflight: the checkout is dirty"))
    body = api.client.get("/api/v1/health/detailed").json()
    assert body["status"] == "down"
    assert body["components"]["runner"]["status"] == "down"
    assert "checkout is dirty" in body["components"]["runner"]["detail"]
    assert body["components"]["store"]["status"] == "ok"


def test_a_mutating_call_without_the_token_is_refused_as_problem_json(api: Api) -> None:
    r = api.client.post("/api/v1/tasks", json={"title": "x"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401
    r = api.client.post("/api/v1/tasks", json={"title": "x"}, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_an_oversized_body_is_refused_before_it_is_read(api: Api) -> None:
    r = api.client.post("/api/v1/tasks", content=b"x" * (api.ctx.settings.max_body_bytes + 1), headers=api.auth)
    assert r.status_code == 413
    assert api.sup.events(0, 10) == []


def test_the_event_log_pages_by_sequence_number(api: Api) -> None:
    from overseer.service import NewTask

    for i in range(3):
        api.sup.create_task(NewTask(title=f"t{i}"), actor="test")
    page = api.client.get("/api/v1/events", params={"limit": 2}).json()
    assert [e["kind"] for e in page["events"]] == ["task.created", "task.created"] and page["more"] is True
    rest = api.client.get("/api/v1/events", params={"after": page["next_after"]}).json()
    assert len(rest["events"]) == 1 and rest["more"] is False
