from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli


def test_init_writes_a_commented_config_and_a_self_ignoring_state_folder(cli: Cli, project: Path) -> None:
    config = (project / "overseer.yaml").read_text()
    assert config.lstrip().startswith("#") and "lease_seconds: 600" in config
    assert (project / ".overseer" / "overseer.db").is_file()
    assert (project / ".overseer" / ".gitignore").read_text().strip().endswith("*")
    again = cli.json("init", str(project))
    assert again["config_written"] is False


def test_task_add_show_and_list_round_trip_every_given_field(cli: Cli) -> None:
    created = cli.json("task", "add", "Write the parser", "-b", "details", "-p", "1", "-l", "parser", "-l", "core",
                       "--accept", "parses empty input", "--file", "src/parse.py", "--type", "review", "--complexity", "complex")
    assert created["id"].startswith("ov-")
    shown = cli.json("task", "show", created["id"])
    assert (shown["title"], shown["body"], shown["priority"], shown["work_type"], shown["complexity"]) == (
        "Write the parser", "details", 1, "review", "complex")
    assert shown["labels"] == ["parser", "core"] and shown["acceptance"] == ["parses empty input"]
    assert shown["file_hints"] == ["src/parse.py"] and shown["blocked"] is False
    listed = cli.json("task", "list", "--label", "core")
    assert [t["id"] for t in listed] == [created["id"]]


def test_ready_json_lists_only_unblocked_work_with_the_promised_fields(cli: Cli) -> None:
    epic = cli.json("epic", "add", "Epic")["id"]
    a = cli.json("task", "add", "A", "--parent", epic, "-p", "2")["id"]
    b = cli.json("task", "add", "B", "--parent", epic, "--blocked-by", a)["id"]
    ready = cli.json("ready")
    assert [t["id"] for t in ready] == [a]
    assert {"id", "title", "status", "priority", "kind"} <= set(ready[0])
    cli("task", "close", a)
    assert [t["id"] for t in cli.json("ready")] == [b]
    cli("task", "close", b)
    assert cli.json("task", "show", epic)["status"] == "done"


def test_ready_claim_prints_one_object_then_nothing_when_none_is_ready(cli: Cli) -> None:
    task = cli.json("task", "add", "Only one")["id"]
    claimed = cli.json("ready", "--claim", "--worker", "w1")
    assert claimed["id"] == task and claimed["status"] == "claimed" and claimed["claimed_by"] == "w1"
    second = cli("ready", "--claim", "--json")
    assert second.exit_code == 0 and second.stdout == ""


def test_a_dependency_that_would_make_a_cycle_is_refused_and_changes_nothing(cli: Cli) -> None:
    a = cli.json("task", "add", "A")["id"]
    b = cli.json("task", "add", "B", "--blocked-by", a)["id"]
    events_before = len(cli.json("events"))
    result = cli("dep", "add", a, b, ok=False)
    assert result.exit_code == 1 and "cycle" in result.output and a in result.output
    assert len(cli.json("events")) == events_before
    assert [d["depends_on"] for d in cli.json("task", "show", a)["depends_on"]] == []


def test_unknown_ids_and_illegal_transitions_are_refused_with_a_reason(cli: Cli) -> None:
    missing = cli("task", "show", "ov-nope", ok=False)
    assert missing.exit_code == 1 and "ov-nope" in missing.output
    task = cli.json("task", "add", "A")["id"]
    bad = cli("task", "update", task, "--status", "needs_changes", "--json", ok=False)
    error = json.loads(bad.stderr)["error"]
    assert error["type"] == "TransitionError" and "claimed" in error["message"]
    assert cli.json("task", "show", task)["status"] == "open"


def test_dep_tree_json_shows_what_a_task_waits_on(cli: Cli) -> None:
    a = cli.json("task", "add", "A")["id"]
    b = cli.json("task", "add", "B", "--blocked-by", a)["id"]
    c = cli.json("task", "add", "C", "--blocked-by", b)["id"]
    tree = cli.json("dep", "tree", c)
    assert tree["task_id"] == c
    assert tree["children"][0]["task_id"] == b and tree["children"][0]["children"][0]["task_id"] == a
    reverse = cli.json("dep", "tree", a, "--reverse")
    assert reverse["children"][0]["task_id"] == b


def test_update_changes_only_the_given_fields_and_labels_can_be_added_and_removed(cli: Cli) -> None:
    task = cli.json("task", "add", "A", "-l", "x", "-l", "y", "-b", "keep me")["id"]
    updated = cli.json("task", "update", task, "--add-label", "z", "--remove-label", "x", "-p", "0")
    assert updated["labels"] == ["y", "z"] and updated["priority"] == 0 and updated["body"] == "keep me"
    held = cli.json("task", "update", task, "--hold", "needs sign-off")
    assert held["hold"] == "needs sign-off" and cli.json("ready") == []
    cli("task", "update", task, "--unhold")
    assert [t["id"] for t in cli.json("ready")] == [task]


def test_close_and_reopen_move_a_task_and_record_events(cli: Cli) -> None:
    task = cli.json("task", "add", "A")["id"]
    closed = cli.json("task", "close", task, "--reason", "did it")
    assert closed[0]["status"] == "done" and closed[0]["close_reason"] == "did it"
    reopened = cli.json("task", "reopen", task)
    assert reopened[0]["status"] == "open" and reopened[0]["closed_at"] is None
    kinds = [e["kind"] for e in cli.json("events", "--task", task)]
    assert kinds == ["task.created", "task.status", "task.status"]


def test_epic_status_counts_children_and_names_the_ready_ones(cli: Cli) -> None:
    epic = cli.json("epic", "add", "E")["id"]
    a = cli.json("task", "add", "A", "--parent", epic)["id"]
    cli.json("task", "add", "B", "--parent", epic, "--blocked-by", a)
    status = cli.json("epic", "status", epic)
    assert status["total"] == 2 and status["done"] == 0 and status["ready"] == [a]
    everything = cli.json("epic", "status")
    assert [e["id"] for e in everything] == [epic]


def test_a_config_error_names_the_file_and_line(cli: Cli, project: Path) -> None:
    (project / "overseer.yaml").write_text("claims:\n  lease_seconds: 60\ndefaults:\n  priorty: 1\n")
    result = cli("ready", ok=False)
    assert result.exit_code == 1
    assert "overseer.yaml:4" in result.output and "priority" in result.output


def test_the_ready_table_shows_the_top_fifty_and_says_how_many_more(cli: Cli) -> None:
    for i in range(53):
        cli("task", "add", f"t{i}")
    table = cli("ready")
    assert "53 ready" in table.stdout and "and 3 more" in table.stderr
    assert len(cli.json("ready")) == 53
