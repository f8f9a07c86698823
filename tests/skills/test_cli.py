"""``overseer skill list | show | run`` on a real project: bootstrap's wiring (config, the project's folder, the knowledge
store, the event log, LiteLLM's price map) against a scripted model server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from overseer.bootstrap import init_project, open_brain, open_supervisor
from overseer.cli.app import app
from overseer.modelserver import ScriptedModelServer, Text
from overseer.skills import CALLED

CHAT = "/v1/chat/completions"


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as srv:
        yield srv


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: ScriptedModelServer) -> Path:
    """A git repository set up with Overseer: one profile whose calls go to the scripted server as gpt-4o-mini (a model
    LiteLLM's price map knows), a chain for ``review``, and a project skill ``migrate``."""
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)
    monkeypatch.setenv("TEST_KEY", "sk-test")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    init_project(tmp_path)
    mini = {"harness": "command", "command": ["true"], "provider": "local", "model": "gpt-4o-mini",
            "options": {"litellm_model": "openai/gpt-4o-mini", "api_base": server.base_url + "/v1", "env_key": "TEST_KEY"}}
    config = {"profiles": {"mini": mini}, "providers": {"local": {"kind": "api", "pool": 2}},
              "routing": {"rules": [{"chain": ["mini"]}]}, "skills": {"folder": "team-skills", "review": {"chain": ["mini"]}}}
    (tmp_path / "overseer.yaml").write_text(json.dumps(config))
    (tmp_path / "team-skills").mkdir()
    (tmp_path / "team-skills" / "migrate.md").write_text(
        "---\nname: migrate\ndescription: Plan a database migration.\nwork_type: planning\ncomplexity: medium\n---\n"
        "# Discipline: migrations\n\nAlways write the down migration.\n")
    return tmp_path


def overseer(project: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--repo", str(project)], env={"OVERSEER_ACTOR": "tester"})


def ok_json(project: Path, *args: str) -> Any:
    result = overseer(project, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_skill_list_shows_the_built_ins_the_projects_own_and_each_chain(project: Path) -> None:
    listed = ok_json(project, "skill", "list")
    assert listed["folder"] == str(project / "team-skills")
    rows = {r["name"]: r for r in listed["skills"]}
    assert sorted(rows) == ["debug", "migrate", "retrospective", "review", "spec", "tdd"]
    assert rows["review"]["chain"] == ["mini"] and rows["tdd"]["chain"] == []
    assert rows["migrate"]["source"] == str(project / "team-skills" / "migrate.md") and rows["migrate"]["work_type"] == "planning"
    table = overseer(project, "skill", "list")
    assert table.exit_code == 0 and "migrate" in table.stdout and "routed" in table.stdout


def test_skill_show_prints_the_discipline(project: Path) -> None:
    shown = overseer(project, "skill", "show", "migrate")
    assert shown.exit_code == 0 and "planning · medium" in shown.stdout and "Always write the down migration." in shown.stdout
    assert ok_json(project, "skill", "show", "review")["body"].startswith("# Discipline: code review")


def test_skill_run_prints_the_markdown_and_json_gives_model_tokens_and_cost_with_knowledge_and_history_sent(
        project: Path, server: ScriptedModelServer) -> None:
    sup = open_supervisor(project)
    try:
        open_brain(sup, actor="tester").add("Migrations need a down step", "Every Alembic revision has a working downgrade().",
                                            tags=["migrations"])
    finally:
        sup.close()
    server.script.add(Text("## Steps\n\n1. add the column\n\n```json\n{\"summary\": \"1 step\"}\n```"))
    server.script.add(Text("## Steps\n\n2. backfill\n"))
    text = overseer(project, "skill", "run", "migrate", "Plan the migrations for a priority column.", "--session", "prio")
    assert text.exit_code == 0, text.output
    assert text.stdout == "## Steps\n\n1. add the column\n" and "migrate · mini (openai/gpt-4o-mini)" in text.stderr
    first = server.requests_to(CHAT)[0].body["messages"]
    assert "Always write the down migration." in first[0]["content"]
    assert "## Relevant knowledge" in first[1]["content"] and "Every Alembic revision has a working downgrade()." in first[1]["content"]

    result = ok_json(project, "skill", "run", "migrate", "And the backfill?", "--session", "prio", "--model", "gpt-4o-mini")
    assert (result["markdown"], result["profile"], result["model"], result["session"]) == (
        "## Steps\n\n2. backfill\n", "mini", "openai/gpt-4o-mini", "prio")
    assert result["tokens_in"] > 0 and result["cost_usd"] > 0 and result["tried"] == []
    second = server.requests_to(CHAT)[1].body["messages"][1]["content"]
    assert "## Session history" in second and "1. **migrate** — asked: Plan the migrations for a priority column." in second

    sup = open_supervisor(project)
    try:
        called = [e for e in sup.store.events(limit=1000) if e.kind == CALLED]
    finally:
        sup.close()
    assert [(e.actor, e.data["session"], e.data["stripped_json"]) for e in called] == [("skills", "prio", 1), ("skills", "prio", 0)]


def test_an_unknown_skill_or_model_exits_1_saying_what_exists(project: Path, server: ScriptedModelServer) -> None:
    skill = overseer(project, "skill", "run", "reveiw", "x")
    assert skill.exit_code == 1 and "no skill named 'reveiw' (skills: debug, migrate, retrospective, review, spec, tdd;" in skill.stderr
    as_json = overseer(project, "skill", "show", "reveiw", "--json")
    error = json.loads(as_json.stderr)["error"]
    assert (as_json.exit_code, error["type"], error["name"]) == (1, "UnknownSkill", "reveiw") and "migrate" in error["known"]
    model = overseer(project, "skill", "run", "review", "x", "--model", "gpt-9")
    assert model.exit_code == 1 and "model: 'gpt-9' is neither a profile nor the model of one (profiles: mini;" in model.stderr
    assert server.requests == []
