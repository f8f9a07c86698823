"""Providers, quota windows, parking and cost over the API, on the reference providers and a real usage ledger."""

from __future__ import annotations

import typing
from datetime import datetime, timedelta

import pytest

from overseer.api.routes.providers import CostBy
from overseer.domain import utcnow
from overseer.domain.usage import UsageEntry, new_usage_id
from overseer.ports import COST_GROUPS
from tests.api.conftest import Api


def spend(api: Api, provider: str, *, at: datetime | None = None, runs: int = 1, usd: float = 0.0, tokens: tuple[int, int] = (0, 0),
          task: str | None = None) -> None:
    api.ctx.quota().ledger.record(UsageEntry(id=new_usage_id(), at=at or utcnow(), provider=provider, model=f"{provider}-model",
                                             task_id=task, runs=runs, requests=runs, tokens_in=tokens[0], tokens_out=tokens[1],
                                             cost_usd=usd, settled=True))


def test_providers_are_listed_with_windows_reserve_profiles_and_whether_they_take_work(api: Api) -> None:
    rows = {r["provider"]: r for r in api.client.get("/api/v1/providers").json()["providers"]}
    assert set(rows) == {"claude", "glm", "deepseek", "openrouter"}
    claude = rows["claude"]
    assert claude["windows"] == [{"limit": 45, "unit": "runs", "length": "5h"}] and claude["buffer_percent"] == 20
    assert claude["profiles"] == ["claude"] and claude["can_use"] is True and claude["parked_until"] is None
    assert rows["deepseek"]["kind"] == "api" and rows["deepseek"]["windows"] == []


def test_quota_status_gives_every_providers_windows_with_use_reset_and_reserve(api: Api) -> None:
    oldest = utcnow() - timedelta(hours=1)
    spend(api, "claude", at=oldest, runs=4)
    spend(api, "claude", runs=5)
    spend(api, "claude", at=utcnow() - timedelta(hours=6), runs=30)  # outside the 5 h window
    body = api.client.get("/api/v1/agents/quota/status").json()
    providers = {p["provider"]: p for p in body["providers"]}
    assert set(providers) == {"claude", "glm", "deepseek", "openrouter"}
    [window] = providers["claude"]["windows"]
    assert (window["window"], window["unit"], window["used"], window["limit"], window["percent"]) == ("5h", "runs", 9, 45, 20.0)
    assert window["reserve_percent"] == 20 and window["remaining"] == 36
    assert datetime.fromisoformat(window["resets_at"]) == oldest + timedelta(hours=5)
    assert providers["glm"]["windows"][0]["used"] == 0 and providers["deepseek"]["windows"] == []
    assert all(p["parked_until"] is None and p["can_use"] for p in providers.values())


def test_parking_a_provider_shows_everywhere_until_it_is_unparked(api: Api) -> None:
    r = api.client.post("/api/v1/providers/glm/park", json={"for": "2h", "reason": "flaky today"}, headers=api.auth)
    assert r.status_code == 200 and r.json()["provider"] == "glm" and r.json()["reason"] == "flaky today"
    until = datetime.fromisoformat(r.json()["until"])
    assert abs((until - utcnow()) - timedelta(hours=2)) < timedelta(minutes=1)
    status = {p["provider"]: p for p in api.client.get("/api/v1/agents/quota/status").json()["providers"]}
    assert status["glm"]["parked_until"] == r.json()["until"] and status["glm"]["can_use"] is False
    assert status["glm"]["parked_reason"] == "flaky today"
    assert [e.actor for e in api.sup.events(0, 100) if e.kind == "provider.parked"] == ["api"]

    assert api.client.delete("/api/v1/providers/glm/park", headers=api.auth).json() == {"provider": "glm", "parked": False}
    rows = {p["provider"]: p for p in api.client.get("/api/v1/providers").json()["providers"]}
    assert rows["glm"]["parked_until"] is None and rows["glm"]["can_use"] is True


def test_park_without_a_body_parks_for_an_hour(api: Api) -> None:
    until = datetime.fromisoformat(api.client.post("/api/v1/providers/claude/park", headers=api.auth).json()["until"])
    assert abs((until - utcnow()) - timedelta(hours=1)) < timedelta(minutes=1)


@pytest.mark.parametrize(("body", "field"), [({"for": "soon"}, "for"), ({"for": "0s"}, "for"), ({"for": "400d"}, "for"),
                                             ({"for": "99999999999999w"}, "for"), ({"duration": "2h"}, "duration")])
def test_park_refuses_a_bad_duration_naming_the_field_and_parks_nothing(api: Api, body: dict[str, str], field: str) -> None:
    r = api.client.post("/api/v1/providers/glm/park", json=body, headers=api.auth)
    assert r.status_code == 422 and r.json()["field"] == field
    assert api.ctx.quota().ledger.parks(utcnow()) == {}


def test_an_unknown_provider_is_404_naming_it(api: Api) -> None:
    for r in (api.client.post("/api/v1/providers/acme/park", json={"for": "1h"}, headers=api.auth),
              api.client.delete("/api/v1/providers/acme/park", headers=api.auth)):
        assert r.status_code == 404 and "acme" in r.json()["detail"]
    assert api.ctx.quota().ledger.parks(utcnow()) == {}


def test_parking_without_a_token_is_401_and_parks_nothing(api: Api) -> None:
    assert api.client.post("/api/v1/providers/glm/park", json={"for": "1h"}).status_code == 401
    api.ctx.quota().ledger.park("claude", utcnow() + timedelta(hours=1), "by hand", actor="test")
    assert api.client.delete("/api/v1/providers/claude/park").status_code == 401
    assert set(api.ctx.quota().ledger.parks(utcnow())) == {"claude"}


def test_cost_groups_the_ledger_and_since_leaves_older_spending_out(api: Api) -> None:
    spend(api, "claude", usd=1.5, tokens=(1000, 200), task="ov-a")
    spend(api, "deepseek", usd=0.25, tokens=(5000, 800), task="ov-b")
    spend(api, "deepseek", at=utcnow() - timedelta(days=10), usd=4.0, task="ov-b")
    body = api.client.get("/api/v1/cost").json()
    assert body["by"] == "provider" and body["since"] is None and body["total_usd"] == 5.75
    assert [(r["key"], r["cost_usd"]) for r in body["rows"]] == [("deepseek", 4.25), ("claude", 1.5)]
    recent = api.client.get("/api/v1/cost", params={"by": "task", "since": "7d"}).json()
    assert [(r["key"], r["cost_usd"], r["tokens_in"]) for r in recent["rows"]] == [("ov-a", 1.5, 1000), ("ov-b", 0.25, 5000)]
    assert api.client.get("/api/v1/cost", params={"task": "ov-b"}).json()["total_usd"] == 4.25


def test_cost_refuses_an_unknown_grouping_or_duration_naming_the_field(api: Api) -> None:
    assert api.client.get("/api/v1/cost", params={"by": "colour"}).json()["field"] == "by"
    assert api.client.get("/api/v1/cost", params={"since": "last week"}).json()["field"] == "since"
    assert typing.get_args(CostBy) == COST_GROUPS


def test_daily_cost_has_every_day_oldest_first_with_zeros_for_quiet_days(api: Api) -> None:
    now = utcnow()
    spend(api, "claude", at=now - timedelta(days=2), usd=2.0, tokens=(10, 20))
    spend(api, "claude", usd=0.5, tokens=(1, 2))
    spend(api, "glm", usd=0.25, tokens=(3, 4))
    spend(api, "claude", at=now - timedelta(days=5), usd=9.0)  # before the chart starts
    days = api.client.get("/api/v1/cost/daily", params={"days": 3}).json()
    assert [d["day"] for d in days] == [(now - timedelta(days=n)).date().isoformat() for n in (2, 1, 0)]
    assert days[0] == {"day": days[0]["day"], "usd": 2.0, "tokens_in": 10, "tokens_out": 20, "runs": 1}
    assert days[1] == {"day": days[1]["day"], "usd": 0.0, "tokens_in": 0, "tokens_out": 0, "runs": 0}
    assert days[2] == {"day": days[2]["day"], "usd": 0.75, "tokens_in": 4, "tokens_out": 6, "runs": 2}
    assert len(api.client.get("/api/v1/cost/daily").json()) == 30
    assert api.client.get("/api/v1/cost/daily", params={"days": 0}).json()["field"] == "days"
