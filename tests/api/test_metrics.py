"""``/metrics``: Prometheus text read from the store at each scrape, per app, and fast with 10,000 tasks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from overseer.api import ApiSettings, AppContext, Auth, create_app
from overseer.bootstrap import open_supervisor
from overseer.domain import TaskStatus, utcnow
from overseer.domain.runs import Run, RunStatus
from overseer.domain.usage import UsageEntry, new_usage_id
from overseer.service import NewTask
from tests.api.conftest import TOKEN, Api, make_repo

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(r.text) for s in f.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_metrics_count_tasks_runs_tokens_cost_quota_and_parked_providers(api: Api) -> None:
    held = api.sup.create_task(NewTask(title="held", gates=("start",)), actor="t")
    for i in range(3):
        api.sup.create_task(NewTask(title=f"ready {i}"), actor="t")
    api.sup.set_status(held.id, TaskStatus.CANCELLED, actor="t")
    now = utcnow()
    for i, (status, seconds) in enumerate([(RunStatus.SUCCEEDED, 45), (RunStatus.FAILED, 700), (RunStatus.RUNNING, None)]):
        api.ctx.runs.add_run(Run(f"run-{i}", held.id, "claude", "claude-code", status=status, started_at=now - timedelta(hours=1),
                                 ended_at=now - timedelta(hours=1) + timedelta(seconds=seconds) if seconds else None), actor="t")
    ledger = api.ctx.quota().ledger
    ledger.record(UsageEntry(id=new_usage_id(), at=now, provider="claude", runs=9, requests=9, tokens_in=1000, tokens_out=250,
                             cost_usd=1.25, settled=True))
    ledger.park("glm", now + timedelta(hours=1), "rate limited", actor="t")
    api.ctx.broker.subscribe()

    m = scrape(api.client)
    assert value(m, "overseer_tasks", status="open") == 3 and value(m, "overseer_tasks", status="cancelled") == 1
    assert value(m, "overseer_tasks", status="done") == 0 and value(m, "overseer_queue_depth") == 3
    assert value(m, "overseer_runs", status="succeeded") == 1 and value(m, "overseer_runs", status="running") == 1
    assert value(m, "overseer_run_duration_seconds_count") == 2 and value(m, "overseer_run_duration_seconds_sum") == 745
    assert value(m, "overseer_run_duration_seconds_bucket", le="60.0") == 1
    assert value(m, "overseer_run_duration_seconds_bucket", le="1200.0") == 2
    assert value(m, "overseer_tokens_total", provider="claude", direction="in") == 1000
    assert value(m, "overseer_tokens_total", provider="claude", direction="out") == 250
    assert value(m, "overseer_cost_usd_total", provider="claude") == 1.25
    assert value(m, "overseer_quota_used_percent", provider="claude", window="5h", unit="runs") == 20.0
    assert value(m, "overseer_provider_parked", provider="glm") == 1 and value(m, "overseer_provider_parked", provider="claude") == 0
    assert value(m, "overseer_sse_subscribers") == 1


def test_metrics_need_no_token_on_loopback_and_live_outside_the_api_prefix(api: Api) -> None:
    assert api.client.get("/metrics").status_code == 200
    assert api.client.get("/api/v1/metrics").status_code == 404


@pytest.fixture
def other(tmp_path: Path) -> Iterator[TestClient]:
    sup = open_supervisor(make_repo(tmp_path / "other"))
    auth = Auth(TOKEN)
    app = create_app(sup, auth, ApiSettings(), ctx=AppContext(sup, auth))
    with TestClient(app) as client:
        yield client
    sup.close()


def test_two_apps_in_one_process_keep_their_own_figures(api: Api, other: TestClient) -> None:
    api.sup.create_task(NewTask(title="only here"), actor="t")
    assert value(scrape(api.client), "overseer_tasks", status="open") == 1
    assert value(scrape(other), "overseer_tasks", status="open") == 0
    assert value(scrape(api.client), "overseer_tasks", status="open") == 1


def test_a_scrape_stays_fast_with_10000_tasks_and_never_lists_them(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = api.root / "issues.jsonl"
    statuses = ["open", "closed", "in_progress", "open", "blocked"]
    issues.write_text("".join(json.dumps({"id": f"bd-{i}", "title": f"t{i}", "status": statuses[i % 5], "priority": i % 5,
                                          "issue_type": "task", "created_at": "2025-01-01T00:00:00Z",
                                          "updated_at": "2025-01-01T00:00:00Z"}) + "\n" for i in range(10_000)))
    api.sup.import_beads(issues, actor="t")
    monkeypatch.setattr(api.sup, "list_tasks", lambda *a, **k: pytest.fail("a scrape must not list every task"))
    scrape(api.client)  # the first scrape builds the registry
    started = time.perf_counter()
    m = scrape(api.client)
    assert time.perf_counter() - started < 1.0
    assert value(m, "overseer_tasks", status="open") == 4000 and value(m, "overseer_tasks", status="done") == 2000
    assert value(m, "overseer_queue_depth") == 1000  # counted up to the cap
