"""The usage ledger in every store: windows admit up to their ceiling and no more, settle and cancel change the
sums, costs total by every group, and parks are kept, logged and expire."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from overseer.domain import Dependency, ValidationError
from overseer.domain.usage import Unit, UsageEntry, UsageKind, Window, new_usage_id, window_usage
from overseer.ports import COST_GROUPS, UsageLedger
from overseer.store.memory import InMemoryStore
from overseer.store.sql.engine import make_engine, sqlite_url
from overseer.store.sql.store import SqlStore

HOUR = 3600.0
RUNS_5H = Window(10, Unit.RUNS, 5 * HOUR)


def use(at: datetime, provider: str = "claude", **fields: Any) -> UsageEntry:
    fields.setdefault("runs", 1)
    fields.setdefault("requests", 1)
    return UsageEntry(new_usage_id(), at, provider, **fields)


def acquired(store: Any, windows: list[Window], at: datetime, ceiling: float = 1.0, times: int = 100, **fields: Any) -> int:
    """How many acquires of one run each succeed, trying ``times`` times."""
    return sum(store.acquire(use(at, **fields), windows, ceiling=ceiling) is not None for _ in range(times))


def test_both_stores_satisfy_the_usage_ledger_port(store: Any, tmp_path: Path) -> None:
    sql = SqlStore(make_engine(sqlite_url(tmp_path / "port.db")))
    ledgers: list[UsageLedger] = [InMemoryStore(), sql]  # what mypy checks; the loop below checks the store at hand
    names = [n for n in vars(UsageLedger) if not n.startswith("_")]
    assert len(names) == 10
    for ledger in [*ledgers, store]:
        assert all(callable(getattr(ledger, n, None)) for n in names), type(ledger)
    sql.close()


# -- acquiring ---------------------------------------------------------------------------------------
def test_a_ceiling_below_one_keeps_a_buffer_so_a_limit_of_10_at_0_8_admits_8(store: Any, clock: Any) -> None:
    assert acquired(store, [RUNS_5H], clock(), ceiling=0.8) == 8
    assert store.window_usage("claude", RUNS_5H, clock()).used == 8
    assert acquired(store, [RUNS_5H], clock(), ceiling=1.0) == 2


def test_acquire_respects_every_window_not_only_the_first(store: Any, clock: Any) -> None:
    week = Window(20, Unit.RUNS, 7 * 86400)
    for _ in range(17):
        store.record(use(clock() - timedelta(hours=6)))  # outside the 5 h window, inside the week
    assert acquired(store, [RUNS_5H, week], clock()) == 3
    assert store.window_usage("claude", RUNS_5H, clock()).used == 3
    assert store.window_usage("claude", week, clock()).used == 20


def test_a_refused_acquire_inserts_nothing_and_other_providers_are_not_counted(store: Any, clock: Any) -> None:
    tiny = Window(1, Unit.RUNS, HOUR)
    assert store.acquire(use(clock()), [tiny]) is not None
    refused = use(clock())
    assert store.acquire(refused, [tiny]) is None
    assert refused.id not in {e.id for e in store.usage_entries()}
    assert store.acquire(use(clock(), provider="codex"), [tiny]) is not None


def test_without_windows_acquire_always_inserts(store: Any, clock: Any) -> None:
    assert acquired(store, [], clock(), times=30) == 30
    assert len(store.usage_entries()) == 30


def test_requests_windows_count_requests_and_a_run_must_fit_whole(store: Any, clock: Any) -> None:
    requests = Window(10, Unit.REQUESTS, HOUR)
    assert store.acquire(use(clock(), requests=8), [requests]) is not None
    assert store.acquire(use(clock(), requests=3), [requests]) is None
    assert store.acquire(use(clock(), requests=2), [requests]) is not None


def test_entries_at_or_before_the_window_start_do_not_count_and_later_ones_do(store: Any, clock: Any) -> None:
    now = clock()
    store.record(use(now - timedelta(seconds=RUNS_5H.seconds)))  # exactly at the start: out (the window is open there)
    store.record(use(now - timedelta(seconds=RUNS_5H.seconds) + timedelta(microseconds=1)))
    store.record(use(now + timedelta(seconds=1)))  # after now: not yet
    assert store.window_usage("claude", RUNS_5H, now).used == 1
    assert acquired(store, [RUNS_5H], now) == 9


def test_a_window_resets_when_its_oldest_counted_entry_leaves_it(store: Any, clock: Any) -> None:
    now = clock()
    store.record(use(now - timedelta(hours=4), runs=0, requests=0))  # takes nothing from a runs window
    oldest = store.record(use(now - timedelta(hours=3), runs=2))
    store.record(use(now - timedelta(hours=1)))
    got = store.window_usage("claude", RUNS_5H, now, reserve_percent=10.0)
    assert (got.used, got.oldest_at, got.reserve_percent) == (3, oldest.at, 10.0)
    assert got.resets_at == oldest.at + timedelta(hours=5)
    assert got == window_usage("claude", RUNS_5H, store.usage_entries(), now, 10.0)
    later = store.window_usage("claude", RUNS_5H, got.resets_at)
    assert later.used == 1 and later.resets_at == now + timedelta(hours=4)
    assert store.window_usage("nobody", RUNS_5H, now).resets_at is None


def test_tokens_and_dollar_windows_refuse_once_use_is_at_or_over_the_ceiling(store: Any, clock: Any) -> None:
    tokens, dollars = Window(1000, Unit.TOKENS, HOUR), Window(5.0, Unit.USD, HOUR)
    first = store.acquire(use(clock()), [tokens, dollars])
    store.settle(first.id, tokens_in=600, tokens_out=399, cost_usd=1.0)
    second = store.acquire(use(clock()), [tokens, dollars])  # 999 tokens: still below the limit
    assert second is not None
    store.settle(second.id, tokens_in=0, tokens_out=1, cost_usd=1.0)
    assert store.window_usage("claude", tokens, clock()).used == 1000
    assert store.acquire(use(clock()), [tokens]) is None
    assert store.acquire(use(clock()), [dollars], ceiling=0.4) is None  # $2 of $5: at a $2 ceiling
    assert store.acquire(use(clock()), [dollars], ceiling=0.3) is None  # over a $1.50 one
    assert store.acquire(use(clock()), [dollars], ceiling=0.5) is not None  # below $2.50


# -- settling and cancelling ---------------------------------------------------------------------------
def test_settle_puts_the_real_figures_on_the_entry(store: Any, clock: Any) -> None:
    entry = store.acquire(use(clock(), model="sonnet"), [RUNS_5H])
    settled = store.settle(entry.id, requests=7, tokens_in=1200, tokens_out=300, cost_usd=0.42, model="sonnet-4.5")
    assert (settled.requests, settled.tokens_in, settled.tokens_out, settled.cost_usd, settled.model, settled.settled) == (
        7, 1200, 300, 0.42, "sonnet-4.5", True)
    assert store.usage_entries() == [settled]
    assert store.window_usage("claude", Window(10**6, Unit.TOKENS, HOUR), clock()).used == 1500
    kept = store.settle(entry.id, tokens_in=1)
    assert (kept.requests, kept.model) == (7, "sonnet-4.5")


def test_settling_an_unknown_entry_is_refused(store: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        store.settle("use-nope", tokens_in=1)
    assert caught.value.field == "usage"


def test_cancel_gives_the_room_back_and_an_unknown_id_is_ignored(store: Any, clock: Any) -> None:
    tiny = Window(2, Unit.RUNS, HOUR)
    first, _ = store.acquire(use(clock()), [tiny]), store.acquire(use(clock()), [tiny])
    assert store.acquire(use(clock()), [tiny]) is None
    store.cancel(first.id)
    store.cancel("use-nope")
    assert first.id not in {e.id for e in store.usage_entries()}
    assert store.acquire(use(clock()), [tiny]) is not None


def test_an_entry_survives_the_round_trip_field_for_field_and_a_duplicate_id_is_refused(store: Any, clock: Any) -> None:
    entry = UsageEntry("use-1", clock() + timedelta(microseconds=123457), "openai", UsageKind.CALL, "gpt-4o", "review", "ov-1",
                       "run-1", 0, 3, 10, 20, 0.125, emergency=True, settled=True)
    store.record(entry)
    assert store.usage_entries() == [entry]
    with pytest.raises(ValidationError) as caught:
        store.record(entry)
    assert caught.value.field == "id"


def test_usage_entries_list_newest_first_and_filter(store: Any, clock: Any) -> None:
    a = store.record(use(clock(), task_id="ov-1", run_id="run-a"))
    b = store.record(use(clock.advance(10), provider="codex", task_id="ov-2"))
    c = store.record(use(clock.advance(10), task_id="ov-1", run_id="run-c"))
    assert store.usage_entries() == [c, b, a]
    assert store.usage_entries(provider="claude") == [c, a]
    assert store.usage_entries(task_id="ov-1", limit=1) == [c]
    assert store.usage_entries(run_id="run-a") == [a]
    assert store.usage_entries(since=b.at) == [c, b]


# -- spending ----------------------------------------------------------------------------------------
def spend(store: Any, new_task: Any, clock: Any) -> None:
    """Four entries over two UTC days: two on ov-1 (child of ov-epic), one on ov-2 (no parent), one call with no task."""
    store.add_task(new_task("ov-epic", kind="epic"), actor="a")
    store.add_task(new_task("ov-1"), [Dependency("ov-1", "ov-epic", "parent-child")], actor="a")
    store.add_task(new_task("ov-2"), actor="a")
    day1 = clock()  # 2030-01-01 09:00 UTC
    store.record(use(day1, model="sonnet", task_id="ov-1", run_id="run-1", requests=2, tokens_in=100, tokens_out=10, cost_usd=1.0))
    store.record(use(day1 + timedelta(hours=14), model="sonnet", task_id="ov-1", run_id="run-2", tokens_in=50, tokens_out=5,
                     cost_usd=0.5))
    store.record(use(day1 + timedelta(hours=16), "codex", model="gpt", task_id="ov-2", run_id="run-3", requests=3, tokens_in=200,
                     tokens_out=20, cost_usd=2.0))
    store.record(use(day1 + timedelta(hours=17), "openai", kind=UsageKind.CALL, runs=0, tokens_in=10, tokens_out=1, cost_usd=0.25))


EXPECTED = {
    "task": [("ov-2", 2.0), ("ov-1", 1.5), ("(none)", 0.25)],
    "run": [("run-3", 2.0), ("run-1", 1.0), ("run-2", 0.5), ("(none)", 0.25)],
    "provider": [("codex", 2.0), ("claude", 1.5), ("openai", 0.25)],
    "model": [("gpt", 2.0), ("sonnet", 1.5), ("(none)", 0.25)],
    "day": [("2030-01-02", 2.25), ("2030-01-01", 1.5)],
    "epic": [("(none)", 2.25), ("ov-epic", 1.5)],
}


@pytest.mark.parametrize("by", COST_GROUPS)
def test_cost_totals_group_by_every_group_most_expensive_first(store: Any, new_task: Any, clock: Any, by: str) -> None:
    spend(store, new_task, clock)
    rows = store.cost_totals(by)
    assert [(r.key, r.cost_usd) for r in rows] == EXPECTED[by]
    assert sum(r.runs for r in rows) == 3 and sum(r.requests for r in rows) == 7
    assert (sum(r.tokens_in for r in rows), sum(r.tokens_out for r in rows)) == (360, 36)


def test_cost_totals_add_up_every_figure_of_a_group(store: Any, new_task: Any, clock: Any) -> None:
    spend(store, new_task, clock)
    ov1 = store.cost_totals("epic")[1]
    assert ov1.dict() == {"key": "ov-epic", "cost_usd": 1.5, "runs": 2, "requests": 3, "tokens_in": 150, "tokens_out": 15}


def test_cost_totals_narrow_to_a_task_and_a_start_and_break_ties_by_key(store: Any, new_task: Any, clock: Any) -> None:
    spend(store, new_task, clock)
    assert [(r.key, r.runs) for r in store.cost_totals("run", task_id="ov-1")] == [("run-1", 1), ("run-2", 1)]
    since = clock() + timedelta(hours=16)
    assert [r.key for r in store.cost_totals("provider", since=since)] == ["codex", "openai"]
    store.record(use(since, "b-provider", cost_usd=2.0))
    store.record(use(since, "a-provider", cost_usd=2.0))
    assert [r.key for r in store.cost_totals("provider", since=since)] == ["a-provider", "b-provider", "codex", "openai"]


def test_an_unknown_cost_group_is_refused_naming_the_allowed_ones(store: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        store.cost_totals("colour")
    assert caught.value.field == "by" and all(g in str(caught.value) for g in COST_GROUPS)


# -- parks -------------------------------------------------------------------------------------------
def test_parking_a_provider_is_logged_and_a_later_park_replaces_it(store: Any, clock: Any) -> None:
    until = clock() + timedelta(hours=2)
    parked = store.park("claude", until, "limit reached", actor="sup")
    assert (parked.until, parked.reason, parked.at) == (until, "limit reached", clock())
    last = store.events()[-1]
    assert (last.kind, last.task_id, last.actor) == ("provider.parked", None, "sup")
    assert dict(last.data) == {"provider": "claude", "until": until.isoformat(), "reason": "limit reached"}
    store.park("claude", until + timedelta(hours=1), "still limited", actor="sup")
    assert store.parks(clock()) == {"claude": store.parks(clock())["claude"]}
    assert store.parks(clock())["claude"].reason == "still limited"


def test_unparking_frees_the_provider_and_logs_only_when_it_was_parked(store: Any, clock: Any) -> None:
    store.park("claude", clock() + timedelta(hours=2), "limit", actor="sup")
    store.unpark("claude", actor="bob")
    assert store.parks(clock()) == {}
    assert (store.events()[-1].kind, store.events()[-1].data["provider"]) == ("provider.unparked", "claude")
    before = store.last_event_seq()
    store.unpark("claude", actor="bob")
    assert store.last_event_seq() == before


def test_a_park_expires_at_its_until(store: Any, clock: Any) -> None:
    until = clock() + timedelta(minutes=30)
    store.park("claude", until, "429", actor="sup")
    store.park("codex", until + timedelta(hours=1), "429", actor="sup")
    assert set(store.parks(until - timedelta(microseconds=1))) == {"claude", "codex"}
    assert set(store.parks(until)) == {"codex"}


def test_parks_and_entries_survive_reopening_the_sql_store(sql_store: SqlStore, clock: Any) -> None:
    until = clock() + timedelta(hours=5)
    parked = sql_store.park("claude", until, "weekly limit", actor="sup")
    entry = sql_store.record(use(clock()))
    url = sql_store.engine.url.render_as_string(hide_password=False)
    sql_store.close()
    reopened = SqlStore(make_engine(url), clock)
    try:
        assert reopened.parks(clock()) == {"claude": parked}
        assert reopened.usage_entries() == [entry]
        assert [e.kind for e in reopened.events()] == ["provider.parked"]
    finally:
        reopened.close()
