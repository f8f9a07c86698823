"""Every tool through the SDK's in-process client, over a real project and a real scripted model server."""

from __future__ import annotations

import json

import anyio
from mcp.client import Client
from mcp.server.mcpserver import MCPServer

from overseer.modelserver import HttpError, ScriptedModelServer, Text
from overseer.service import Supervisor
from overseer.skills import CALLED
from tests.mcp.conftest import CHAT, CLIENT, TOOLS, call, ok, refused
from tests.planning.plans import GOOD, text


def test_the_server_lists_the_seventeen_tools_each_saying_when_to_use_it_and_when_not(server: MCPServer) -> None:
    async def main() -> list[object]:
        async with Client(server, client_info=CLIENT) as client:
            return list((await client.list_tools()).tools)

    tools = anyio.run(main)
    assert {t.name for t in tools} == TOOLS  # type: ignore[attr-defined]
    for tool in tools:
        description = tool.description  # type: ignore[attr-defined]
        assert "Use this" in description and "Do not use" in description, tool
        assert "\n" not in description.replace("\n\n", ""), "paragraphs are single lines"
        assert tool.output_schema is not None  # type: ignore[attr-defined]
    schema = next(t for t in tools if t.name == "task_create").input_schema  # type: ignore[attr-defined]
    assert schema["required"] == ["title"] and schema["properties"]["title"]["maxLength"] == 500
    assert "critical" in json.dumps(schema["properties"]["priority"])
    hints = {t.name: t.annotations for t in tools}  # type: ignore[attr-defined]
    assert hints["task_show"].read_only_hint and not hints["task_create"].read_only_hint and hints["task_update"].destructive_hint


def test_a_task_goes_create_ready_claim_update_show_and_each_step_is_recorded_as_the_client(server: MCPServer, sup: Supervisor) -> None:
    created = ok(server, "task_create", {"title": "Fix the flaky test", "body": "It fails one run in ten.", "priority": "high",
                                         "labels": ["tests"], "acceptance": ["passes 50 runs in a row"]})
    tid = created["id"]
    assert (created["status"], created["priority"], created["labels"]) == ("open", 1, ["tests"])
    ready = ok(server, "task_ready", {"limit": 5})
    assert [t["id"] for t in ready["tasks"]] == [tid] and ready["more"] is False

    claim = ok(server, "task_claim", {"task_id": tid, "lease_seconds": 600})
    assert claim["claimed"] and claim["task"]["claimed_by"] == "mcp:test-agent" and claim["task"]["status"] == "claimed"
    running = ok(server, "task_update", {"task_id": tid, "status": "running", "notes": "seeded the random generator"})
    assert (running["status"], running["notes"]) == ("running", "seeded the random generator")
    done = ok(server, "task_update", {"task_id": tid, "status": "done", "reason": "50 green runs"})
    assert (done["status"], done["close_reason"]) == ("done", "50 green runs")
    renamed = ok(server, "task_update", {"task_id": tid, "title": "Fix the flaky parser test"})
    assert renamed["title"] == "Fix the flaky parser test" and renamed["status"] == "done"

    shown = ok(server, "task_show", {"task_id": tid})
    assert shown["task"]["status"] == "done" and shown["blocked"] is False and shown["depends_on"] == []
    assert sup.get(tid).notes == "seeded the random generator"
    events = sup.events(task_id=tid)
    assert [e.kind for e in events][:2] == ["task.created", "task.claimed"]
    assert {e.actor for e in events} == {"mcp:test-agent"}


def test_claim_without_an_id_takes_the_most_urgent_ready_task_and_says_when_nothing_is_ready(server: MCPServer) -> None:
    ok(server, "task_create", {"title": "later", "priority": 3})
    urgent = ok(server, "task_create", {"title": "now", "priority": 0})
    first = ok(server, "task_claim", {"worker": "agent-7"})
    assert first["claimed"] and first["task"]["id"] == urgent["id"] and first["task"]["claimed_by"] == "agent-7"
    ok(server, "task_claim", {})
    assert ok(server, "task_claim", {}) == {"claimed": False, "task": None,
                                            "detail": "nothing is ready: every open task is blocked, held or claimed"}


def test_a_task_another_worker_holds_cannot_be_claimed(server: MCPServer) -> None:
    tid = ok(server, "task_create", {"title": "contested"})["id"]
    ok(server, "task_claim", {"task_id": tid, "worker": "agent-1"})
    error = refused(server, "task_claim", {"task_id": tid, "worker": "agent-2"})
    assert f"ClaimError: task {tid} is claimed, held by agent-1; not claimable by agent-2 now" in error


def test_approve_lifts_the_start_gate_of_a_held_task_so_it_becomes_ready(server: MCPServer, sup: Supervisor) -> None:
    held = ok(server, "task_create", {"title": "Drop the legacy table", "gates": ["start"]})
    assert held["hold"] and ok(server, "task_ready")["tasks"] == []
    outcome = ok(server, "approve", {"task_id": held["id"], "note": "backed up first"})
    assert (outcome["id"], outcome["action"], outcome["status"]) == (held["id"], "released", "open")
    assert [t["id"] for t in ok(server, "task_ready")["tasks"]] == [held["id"]]
    granted = [e for e in sup.events(task_id=held["id"]) if e.kind == "approval.granted"]
    assert granted[0].data["note"] == "backed up first" and granted[0].actor == "mcp:test-agent"


def test_refusals_are_tool_errors_naming_the_id_the_field_or_the_legal_moves(server: MCPServer, sup: Supervisor) -> None:
    assert "TaskNotFound: no task with id 'ov-nope'" in refused(server, "task_show", {"task_id": "ov-nope"})
    tid = ok(server, "task_create", {"title": "a task"})["id"]
    moved = refused(server, "task_update", {"task_id": tid, "status": "verifying"})
    assert f"TransitionError: task {tid} cannot go from open to verifying" in moved and "claimed" in moved
    assert "ValidationError: status: nothing to change" in refused(server, "task_update", {"task_id": tid})
    assert "ValidationError: reason: goes with a status change" in refused(server, "task_update", {"task_id": tid, "reason": "why"})
    assert f"ValidationError: id: {tid} is open: nothing waits for approval" in refused(server, "approve", {"task_id": tid})
    assert sup.get(tid).version == 1  # nothing changed


def test_arguments_of_the_wrong_type_are_refused_naming_the_field_and_an_unknown_tool_is_named(server: MCPServer) -> None:
    limit = refused(server, "task_ready", {"limit": "many"})
    assert "task_ready" in limit and "limit" in limit and "valid integer" in limit
    assert "priority" in refused(server, "task_create", {"title": "x", "priority": 9})
    assert "title" in refused(server, "task_create", {"body": "no title"})
    assert "status" in refused(server, "task_update", {"task_id": "ov-1", "status": "finished"})
    assert refused(server, "skill_deploy", {"prompt": "ship it"}) == "Unknown tool: skill_deploy"
    assert ok(server, "task_ready")["tasks"] == []


def test_list_models_and_quota_status_show_the_profile_its_provider_and_the_room_left(server: MCPServer) -> None:
    assert ok(server, "list_models") == {"models": [
        {"profile": "mini", "harness": "command", "provider": "local", "model": "gpt-4o-mini", "direct_model": "openai/gpt-4o-mini",
         "has_room": True, "parked_until": None}]}
    [local] = ok(server, "quota_status")["providers"]
    assert (local["provider"], local["can_use"], local["parked_until"]) == ("local", True, None)
    [window] = local["windows"]
    assert (window["unit"], window["limit"], window["used"], window["window"]) == ("requests", 100, 0, "5h")


def test_ask_model_answers_from_the_scripted_model_by_profile_or_model_and_takes_quota(server: MCPServer,
                                                                                       models: ScriptedModelServer) -> None:
    models.script.add(Text("Four."), when="2 + 2", times=2)
    by_profile = ok(server, "ask_model", {"model": "mini", "prompt": "What is 2 + 2?", "system": "Answer in one word."})
    assert (by_profile["text"], by_profile["profile"], by_profile["provider"], by_profile["model"]) == (
        "Four.", "mini", "local", "openai/gpt-4o-mini")
    assert by_profile["tokens_in"] > 0 and by_profile["tried"] == []
    assert ok(server, "ask_model", {"model": "gpt-4o-mini", "prompt": "And 2 + 2 again?"})["text"] == "Four."
    [first, _] = models.requests_to(CHAT)
    assert first.body["model"] == "gpt-4o-mini"
    assert first.body["messages"] == [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "What is 2 + 2?"}]
    assert ok(server, "quota_status")["providers"][0]["windows"][0]["used"] == 2


def test_ask_model_with_an_unknown_model_is_a_tool_error_listing_what_exists_and_calls_nothing(server: MCPServer,
                                                                                               models: ScriptedModelServer) -> None:
    error = refused(server, "ask_model", {"model": "gpt-9", "prompt": "hello"})
    assert "ValidationError: model: 'gpt-9' is neither a profile nor the model of one (profiles: mini; models:" in error
    assert "gpt-4o-mini" in error
    assert "prompt" in refused(server, "ask_model", {"model": "mini", "prompt": ""})
    assert "model" in refused(server, "ask_model", {"model": ["mini"], "prompt": "hello"})
    assert models.requests_to(CHAT) == []


def test_a_failing_model_is_a_tool_error_and_the_server_goes_on(server: MCPServer, models: ScriptedModelServer) -> None:
    models.script.add(HttpError.server_error(message="the model fell over"), when="fail please")
    error = refused(server, "ask_model", {"model": "mini", "prompt": "fail please"})
    assert error.startswith("Error executing tool ask_model: ModelError:") and "mini" in error
    models.script.add(Text("Fine now."), when="again")
    assert ok(server, "ask_model", {"model": "mini", "prompt": "again"})["text"] == "Fine now."


def test_skill_review_runs_the_discipline_on_the_scripted_model_and_records_the_call(server: MCPServer, sup: Supervisor,
                                                                                    models: ScriptedModelServer) -> None:
    models.script.add(Text("## Findings\n\n- **high** `calc.py:2`: subtracts instead of adding.\n"), when="def add")
    result = ok(server, "skill_review", {"prompt": "def add(a, b):\n    return a - b\n", "session": "s1", "task_id": "ov-1"})
    assert result["skill"] == "review" and result["profile"] == "mini" and result["session"] == "s1"
    assert result["markdown"] == "## Findings\n\n- **high** `calc.py:2`: subtracts instead of adding.\n"
    [sent] = models.requests_to(CHAT)
    system, user = sent.body["messages"]
    assert "# Discipline: code review" in system["content"] and "## Request\n\ndef add(a, b):" in user["content"]
    [called] = [e for e in sup.events() if e.kind == CALLED]
    assert called.actor == "mcp:test-agent" and called.data["skill"] == "review" and called.data["session"] == "s1"


def test_every_skill_tool_runs_its_own_discipline_and_refuses_an_unknown_model(server: MCPServer, models: ScriptedModelServer) -> None:
    headings = {"debug": "debugging", "spec": "specification", "tdd": "test-driven development", "retrospective": "retrospective"}
    for name, heading in headings.items():
        models.script.add(Text(f"## {name}\n"), when=f"about {name}")
        assert ok(server, f"skill_{name}", {"prompt": f"about {name}"})["skill"] == name
        assert f"# Discipline: {heading}" in models.requests_to(CHAT)[-1].body["messages"][0]["content"]
    assert "ValidationError: model: 'gpt-9'" in refused(server, "skill_debug", {"prompt": "it hangs", "model": "gpt-9"})
    assert "prompt" in refused(server, "skill_tdd", {"prompt": ""})


def test_brain_write_then_query_finds_the_note_and_full_text_syntax_is_plain_text(server: MCPServer, sup: Supervisor) -> None:
    note = ok(server, "brain_write", {"title": "Unterminated strings crash the tokenizer",
                                      "body": "Close the quote before `tokenize()`; see `parser/lexer.py`.", "tags": ["Parser", "bugs"]})
    assert note["id"].startswith("kb-") and note["tags"] == ["parser", "bugs"] and note["created_by"] == "mcp:test-agent"
    for query in ('"unterminated OR (x*', "unterminated AND NOT", "NEAR(tokenizer", "title:unterminated -x", "tokenizer*)"):
        found = ok(server, "brain_query", {"query": query})
        assert [e["id"] for e in found["entries"]] == [note["id"]], query
        assert found["entries"][0]["score"] is not None and found["query"] == query
    for query in ('"', "(*", "OR", "-", ")(", "'"):
        assert ok(server, "brain_query", {"query": query})["count"] == 0, query
    assert ok(server, "brain_query", {"query": "tokenizer", "tags": ["parser", "nothing-else"]})["entries"] == []
    assert sup.events()[-1].kind == "knowledge.added"


def test_brain_write_refuses_a_bad_tag_or_an_empty_body_naming_the_field(server: MCPServer) -> None:
    assert "ValidationError: tags: 'not a tag!'" in refused(server, "brain_write", {"title": "t", "body": "b", "tags": ["not a tag!"]})
    assert "body" in refused(server, "brain_write", {"title": "t", "body": ""})
    assert ok(server, "brain_query", {"query": "t"})["count"] == 0


def test_plan_request_stores_an_epic_whose_phases_wait_and_approve_releases_phase_one(server: MCPServer, sup: Supervisor,
                                                                                     models: ScriptedModelServer) -> None:
    models.script.add(Text(text(GOOD)))
    plan = ok(server, "plan_request", {"request": "Add mul, then sub, to calc.py", "mode": "frugal"})
    assert plan["stored"] is True and plan["summary"] == GOOD["summary"] and len(plan["phase_ids"]) == 2
    assert [p["status"] for p in plan["plan"]["phases"]] == ["open", "open"]
    assert all(t["held"] for p in plan["plan"]["phases"] for t in p["tasks"]) and ok(server, "task_ready")["tasks"] == []
    assert models.requests_to(CHAT)[0].body["model"] == "gpt-4o-mini"

    one = plan["phase_ids"][0]
    released = ok(server, "approve", {"task_id": one})
    assert released["action"] == "released"
    assert [t["title"] for t in ok(server, "task_ready")["tasks"]] == ["Add mul"]
    assert sup.get(plan["phase_ids"][1]).hold is not None


def test_plan_request_whose_plan_fails_twice_is_a_plan_error_and_stores_nothing(server: MCPServer, sup: Supervisor,
                                                                               models: ScriptedModelServer) -> None:
    models.script.add(Text("no plan here"), times=2)
    error = refused(server, "plan_request", {"request": "Add mul"})
    assert error.startswith("Error executing tool plan_request: PlanError: the planning model's plan failed validation twice")
    assert sup.list_tasks() == [] and len(models.requests_to(CHAT)) == 2


def test_a_direct_call_without_a_client_is_recorded_as_mcp(server: MCPServer, sup: Supervisor) -> None:
    result = anyio.run(lambda: server.call_tool("task_create", {"title": "from the server itself"}))
    assert not result.is_error  # type: ignore[union-attr]
    assert sup.events()[-1].actor == "mcp"


def test_calls_run_concurrently_on_one_connection_without_losing_any(server: MCPServer, sup: Supervisor) -> None:
    async def main() -> None:
        async with Client(server, client_info=CLIENT) as client, anyio.create_task_group() as group:
            for i in range(20):
                group.start_soon(client.call_tool, "task_create", {"title": f"task {i}"})

    anyio.run(main)
    assert sorted(t.title for t in sup.list_tasks()) == sorted(f"task {i}" for i in range(20))
    assert call(server, "task_ready", {"limit": 100}).structured_content["more"] is False  # type: ignore[index]
