"""Session history read back from the event log (both stores), and how much of it the model is shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from overseer.skills import CALLED, EventLogHistory, PastCall, render_history
from overseer.store.memory import InMemoryStore
from overseer.store.sql.store import SqlStore


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InMemoryStore | SqlStore]:
    opened = InMemoryStore() if request.param == "memory" else SqlStore.from_url(f"sqlite:///{tmp_path / 'h.db'}")
    yield opened
    opened.close()


def fill(store: InMemoryStore | SqlStore) -> None:
    """Seven calls of session ``a`` between calls of ``b``, failures and other events."""
    for n in range(7):
        store.record_event(CALLED, actor="skills", data={"skill": "tdd", "session": "a", "prompt": f"a{n}", "answer": f"A{n}"})
        store.record_event(CALLED, actor="skills", data={"skill": "spec", "session": "b", "prompt": f"b{n}", "answer": f"B{n}"})
        store.record_event("skill.failed", actor="skills", data={"skill": "tdd", "session": "a", "prompt": "failed"})
        store.record_event("routing.decided", actor="router", data={"session": "a"})


def test_the_last_calls_of_a_session_come_back_oldest_first_across_pages(store: InMemoryStore | SqlStore) -> None:
    fill(store)
    history = EventLogHistory(store, page=3)
    assert history("a", 5) == [PastCall("tdd", f"a{n}", f"A{n}") for n in range(2, 7)]
    assert [c.prompt for c in history("b", 2)] == ["b5", "b6"]
    assert history("nobody", 5) == [] and history("a", 0) == []


def test_the_scan_stops_at_its_limit_so_an_old_session_starts_afresh(store: InMemoryStore | SqlStore) -> None:
    fill(store)
    assert [c.prompt for c in EventLogHistory(store, page=4, scan_limit=8)("a", 5)] == ["a5", "a6"]


def test_the_rendered_history_numbers_calls_and_cuts_long_texts_to_the_budget() -> None:
    calls = [PastCall("spec", "Spec the export " + "p " * 500, "## Problem " + "a " * 1000), PastCall("tdd", "Tests?", "## Steps\n\n1. x")]
    text = render_history(calls, 600)
    assert text.startswith("## Session history\n\nEarlier calls in this session, oldest first (excerpts):\n\n1. **spec** — asked: Spec")
    assert "\n2. **tdd** — asked: Tests?\n   answered: ## Steps 1. x\n" in text
    assert len(text) < 700 and text.count("…") == 2


def test_when_even_excerpts_do_not_fit_the_oldest_calls_go_first_and_nothing_is_rendered_for_none() -> None:
    calls = [PastCall("debug", f"question {n} " + "q" * 400, "answer " + "a" * 400) for n in range(5)]
    text = render_history(calls, 300)
    assert "question 4" in text and "question 0" not in text
    assert render_history([], 2000) == "" and render_history(calls, 0) == ""
