"""A skill call end to end: the runner, the routed gateway, LiteLLM and scripted model servers over HTTP, a SQLite store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from overseer.domain import ModelError, ValidationError
from overseer.domain.errors import QuotaExhausted, UnknownSkill
from overseer.modelserver import HttpError, ScriptedModelServer, Text
from overseer.skills import CALLED, FAILED, Catalog
from overseer.store.sql.store import SqlStore
from tests.skills.conftest import MakeRunner

CHAT = "/v1/chat/completions"


def sent(server: ScriptedModelServer, index: int = -1) -> tuple[str, str]:
    """The system and user messages of a request the server received."""
    messages = server.requests_to(CHAT)[index].body["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    return messages[0]["content"], messages[1]["content"]


def events(store: SqlStore, kind: str) -> list[dict[str, Any]]:
    return [dict(e.data) for e in store.events(limit=1000) if e.kind == kind]


def test_a_call_sends_protocol_discipline_knowledge_and_request_and_returns_model_tokens_and_cost(
        make_runner: MakeRunner, strong: ScriptedModelServer, store: SqlStore) -> None:
    asked: list[tuple[str, int]] = []

    def relevant(text: str, limit: int) -> str:
        asked.append((text, limit))
        return "### Tests run with uv\nUse `uv run pytest`, never bare pytest."

    strong.script.add(Text("## Verdict\n\nrequest changes: divide(1, 0) raises.\n"))
    result = make_runner(relevant=relevant).run("review", "Review calc.py: divide has no zero check.", task_id="ov-1")
    system, user = sent(strong)
    catalog = Catalog.load(None)
    assert system.startswith("# How to answer") and catalog.protocol.strip() in system and catalog.get("review").body.strip() in system
    assert user.index("## Relevant knowledge") < user.index("Use `uv run pytest`") < user.index("## Request\n\nReview calc.py")
    assert "## Session history" not in user and asked == [("Review calc.py: divide has no zero check.", 3)]
    assert result.markdown == "## Verdict\n\nrequest changes: divide(1, 0) raises.\n"
    assert (result.skill, result.profile, result.provider, result.model) == ("review", "strong", "big", "openai/strong-model")
    assert result.tokens_in > 100 and result.tokens_out > 5 and result.duration_s >= 0
    assert result.cost_usd == pytest.approx(result.tokens_in * 1e-5 + result.tokens_out * 3e-5)
    [called] = events(store, CALLED)
    assert {k: called[k] for k in ("skill", "session", "task_id", "profile", "model", "tokens_in", "tokens_out", "cost_usd")} == {
        "skill": "review", "session": None, "task_id": "ov-1", "profile": "strong", "model": "openai/strong-model",
        "tokens_in": result.tokens_in, "tokens_out": result.tokens_out, "cost_usd": result.cost_usd}
    assert called["duration_s"] == result.duration_s and called["source"] == "built-in"


def test_the_call_is_routed_by_the_skills_work_type_and_settled_in_the_ledger(make_runner: MakeRunner, strong: ScriptedModelServer,
                                                                             store: SqlStore) -> None:
    strong.script.add(Text("## Problem\n\nx\n"))
    make_runner().run("spec", "Spec a CSV export.", task_id="ov-7")
    [usage] = store.cost_totals("task")
    assert (usage.key, usage.requests) == ("ov-7", 1) and usage.cost_usd > 0


def test_knowledge_is_left_out_when_nothing_is_relevant_and_a_heading_is_not_doubled(make_runner: MakeRunner,
                                                                                      strong: ScriptedModelServer) -> None:
    strong.script.add(Text("a"), times=2)
    make_runner(relevant=lambda text, n: "  \n").run("tdd", "Add a --dry-run flag.")
    assert "## Relevant knowledge" not in sent(strong)[1]
    make_runner(relevant=lambda text, n: "## Relevant knowledge\n\n### A note\nbody").run("tdd", "Add a --dry-run flag.")
    assert sent(strong)[1].count("## Relevant knowledge") == 1


def test_the_second_call_of_a_session_carries_the_first_and_the_history_survives_a_restart(
        make_runner: MakeRunner, strong: ScriptedModelServer, store: SqlStore, tmp_path: Path) -> None:
    strong.script.add(Text("## Problem\n\nExports are done by hand.\n"))
    strong.script.add(Text("## Behaviour\n\n1. a test per column\n"), times=3)
    make_runner().run("spec", "Spec a CSV export of tasks.", session="export")
    make_runner().run("tdd", "Now plan the tests.", session="other")
    assert "## Session history" not in sent(strong)[1]

    reopened = SqlStore.from_url(f"sqlite:///{tmp_path / 'overseer.db'}")  # another process, after a restart
    try:
        make_runner(on=reopened).run("tdd", "Now plan the tests for it.", session="export")
    finally:
        reopened.close()
    user = sent(strong)[1]
    history = user[user.index("## Session history"):user.index("## Request")]
    assert "1. **spec** — asked: Spec a CSV export of tasks." in history and "answered: ## Problem Exports are done by hand." in history
    assert "plan the tests." not in history  # the other session's call
    make_runner().run("tdd", "And the edge cases?")
    assert "## Session history" not in sent(strong)[1]  # no session, no history


def test_the_session_history_keeps_the_last_calls_within_the_limits(make_runner: MakeRunner, strong: ScriptedModelServer) -> None:
    strong.script.add(Text("answer " + "x" * 3000), times=None)
    runner = make_runner({"history_limit": 3, "history_chars": 900})
    for n in range(5):
        runner.run("debug", f"question {n} " + "y" * 1000, session="s")
    history = sent(strong)[1].split("## Request")[0].split("## Session history")[1]
    assert [n for n in range(5) if f"question {n} " in history] == [1, 2, 3]
    assert len(history) < 1200 and "…" in history


def test_a_chain_falls_over_from_a_profile_answering_500_to_the_next_and_says_what_was_tried(
        make_runner: MakeRunner, small: ScriptedModelServer, strong: ScriptedModelServer, store: SqlStore) -> None:
    small.script.add(HttpError.server_error(500, "the small model is down"))
    strong.script.add(Text("## Symptom\n\nIt hangs.\n"))
    result = make_runner({"debug": {"chain": ["fast", "strong"]}}).run("debug", "The worker hangs on shutdown.")
    assert [r.status for r in small.requests_to(CHAT)] == [500] and len(strong.requests_to(CHAT)) == 1
    assert (result.profile, result.model) == ("strong", "openai/strong-model")
    [why] = result.tried
    assert why.startswith("fast: ") and "500" in why
    assert events(store, CALLED)[0]["tried"] == [why]


def test_a_429_parks_the_first_profiles_provider_so_the_next_call_passes_it_over_without_asking(
        make_runner: MakeRunner, small: ScriptedModelServer, strong: ScriptedModelServer) -> None:
    small.script.add(HttpError.rate_limited(600))
    strong.script.add(Text("ok"), times=2)
    runner = make_runner({"review": {"chain": ["fast", "strong"]}})
    first = runner.run("review", "Review the diff.")
    assert first.profile == "strong" and "fast: rate limited until" in first.tried[0]
    second = runner.run("review", "Review the diff again.")
    assert len(small.requests_to(CHAT)) == 1 and second.profile == "strong"
    assert second.tried == ("fast: no room in cheap's window",)


def test_when_every_profile_of_the_chain_fails_the_error_names_each_and_the_failure_is_recorded(
        make_runner: MakeRunner, small: ScriptedModelServer, strong: ScriptedModelServer, store: SqlStore) -> None:
    small.script.add(HttpError.server_error(500, "small is down"))
    strong.script.add(HttpError.server_error(503, "strong is down"))
    with pytest.raises(ModelError) as caught:
        make_runner({"spec": {"chain": ["fast", "strong"]}}).run("spec", "Spec it.", session="s")
    assert not isinstance(caught.value, QuotaExhausted)
    message = str(caught.value)
    assert message.startswith("skill 'spec': every profile on its chain failed — tried: fast: ") and "; strong: " in message
    [failed] = events(store, FAILED)
    assert (failed["skill"], failed["session"], failed["chain"], failed["error"]) == ("spec", "s", ["fast", "strong"], message)
    assert events(store, CALLED) == []


def test_a_model_given_for_one_call_overrides_the_chain_by_profile_or_by_model_name(
        make_runner: MakeRunner, small: ScriptedModelServer, strong: ScriptedModelServer) -> None:
    small.script.add(Text("small"), times=None)
    runner = make_runner({"review": {"chain": ["strong"]}})
    for model in ("fast", "small-model", "openai/small-model"):
        result = runner.run("review", "Review it.", model=model)
        assert (result.profile, result.markdown) == ("fast", "small\n")
    assert len(small.requests_to(CHAT)) == 3 and strong.requests_to(CHAT) == []


def test_an_unknown_model_is_refused_on_the_model_field_listing_profiles_and_models_before_any_call(
        make_runner: MakeRunner, small: ScriptedModelServer, strong: ScriptedModelServer) -> None:
    with pytest.raises(ValidationError) as caught:
        make_runner().run("review", "Review it.", model="gpt-9")
    assert caught.value.field == "model"
    assert str(caught.value) == ("model: 'gpt-9' is neither a profile nor the model of one (profiles: fast, strong; "
                                 "models: openai/small-model, openai/strong-model, small-model, strong-model)")
    assert small.requests == [] and strong.requests == []


def test_an_unknown_skill_and_an_empty_prompt_are_refused_before_any_call(make_runner: MakeRunner, strong: ScriptedModelServer) -> None:
    with pytest.raises(UnknownSkill, match=r"no skill named 'reviw' \(skills: debug, retrospective, review, spec, tdd;"):
        make_runner().run("reviw", "Review it.")
    with pytest.raises(ValidationError, match="prompt: empty"):
        make_runner().run("review", "  \n")
    assert strong.requests == []


def test_a_chain_configured_for_a_skill_that_does_not_exist_is_refused_naming_the_key(make_runner: MakeRunner) -> None:
    with pytest.raises(ValidationError) as caught:
        make_runner({"reveiw": {"chain": ["fast"]}})
    assert caught.value.field == "skills.reveiw" and "(skills: debug, retrospective, review, spec, tdd)" in str(caught.value)


def test_habitual_trailing_json_is_stripped_from_the_result_and_the_record_but_asked_for_json_stays(
        make_runner: MakeRunner, strong: ScriptedModelServer, store: SqlStore) -> None:
    summary = "```json\n" + json.dumps({"summary": "two findings", "confidence": 0.7}) + "\n```"
    strong.script.add(Text(f"## Findings\n\n- low: naming\n\n{summary}"), times=2)
    runner = make_runner()
    habit = runner.run("review", "Review the naming.")
    assert habit.markdown == "## Findings\n\n- low: naming\n" and habit.stripped == (summary,)
    asked = runner.run("review", "Review the naming and end with a JSON summary.")
    assert asked.markdown.endswith(summary + "\n") and asked.stripped == ()
    assert [e["stripped_json"] for e in events(store, CALLED)] == [1, 0] and "confidence" not in events(store, CALLED)[0]["answer"]


def test_a_projects_own_skill_overrides_the_built_in_in_what_the_model_receives(make_runner: MakeRunner, strong: ScriptedModelServer,
                                                                                tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    folder.mkdir()
    (folder / "review.md").write_text("---\nname: review\ndescription: Our review.\nwork_type: review\ncomplexity: simple\n---\n"
                                      "# Discipline: our review\n\nOnly look at SQL injection.\n")
    strong.script.add(Text("fine"))
    make_runner(folder=folder).run("review", "Review db.py.")
    system = sent(strong)[0]
    assert "Only look at SQL injection." in system and "## Severities" not in system and "# How to answer" in system
