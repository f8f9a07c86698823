"""``overseer brain``: notes added from a flag or a file, searched, shown and exported, with --json everywhere and
errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli


def test_brain_add_search_show_round_trip_with_json(cli: Cli, project: Path) -> None:
    note = project / "note.md"
    note.write_text("Run `alembic upgrade head` after pulling.\n")
    first = cli.json("brain", "add", "Alembic after pull", "--file", str(note), "--tag", "DB", "-t", "alembic", "--run", "run-1")
    second = cli.json("brain", "add", "Docker cache", "--body", "Order layers from stable to volatile; alembic not involved.")
    assert first["id"].startswith("kb-") and first["tags"] == ["db", "alembic"] and first["source_run"] == "run-1"
    assert first["created_by"] == "tester"
    found = cli.json("brain", "search", "alembic")
    assert [f["id"] for f in found] == [first["id"], second["id"]] and found[0]["score"] > found[1]["score"]
    assert [f["id"] for f in cli.json("brain", "search", "alembic", "--tag", "db", "-n", "1")] == [first["id"]]
    shown = cli.json("brain", "show", first["id"])
    assert shown["body"] == "Run `alembic upgrade head` after pulling.\n" and shown["title"] == "Alembic after pull"


def test_brain_search_takes_engine_syntax_as_words_and_prints_a_table(cli: Cli) -> None:
    added = cli.json("brain", "add", "Foo service", "--body", "restarts nightly")
    assert [f["id"] for f in cli.json("brain", "search", 'NOT -foo OR "unterminated NEAR(')] == [added["id"]]
    table = cli("brain", "search", "foo").stdout
    assert added["id"] in table and "Foo service" in table
    assert cli.json("brain", "search", "(((") == []


def test_brain_show_prints_the_note_as_markdown(cli: Cli) -> None:
    added = cli.json("brain", "add", "Flaky [tests]", "--body", "Seed the generator.", "--tag", "ci")
    shown = cli("brain", "show", added["id"]).stdout
    assert "# Flaky [tests]\n" in shown and "_tags: ci_" in shown and "Seed the generator." in shown


def test_brain_export_writes_md_files_into_the_folder(cli: Cli, project: Path) -> None:
    ids = [cli.json("brain", "add", title, "--body", "text")["id"] for title in ("One", "../Two")]
    result = cli.json("brain", "export", str(project / "kb"))
    files = [Path(f) for f in result["files"]]
    assert sorted(f.name.split("-")[0] + "-" + f.name.split("-")[1] for f in files) == sorted(ids)
    assert all(f.parent == (project / "kb").resolve() and f.suffix == ".md" and f.is_file() for f in files)


def test_brain_errors_name_the_field_and_exit_1(cli: Cli, project: Path) -> None:
    untitled = cli("brain", "add", " ", "--body", "text", "--json", ok=False)
    assert untitled.exit_code == 1
    error = json.loads(untitled.stderr)["error"]
    assert error["type"] == "ValidationError" and error["field"] == "title"
    both = cli("brain", "add", "T", "--body", "x", "--file", str(project / "x.md"), "--json", ok=False)
    assert both.exit_code == 1 and json.loads(both.stderr)["error"]["field"] == "body"
    unreadable = cli("brain", "add", "T", "--file", str(project / "missing.md"), "--json", ok=False)
    assert unreadable.exit_code == 1 and json.loads(unreadable.stderr)["error"]["field"] == "file"
    missing = cli("brain", "show", "kb-nothing", ok=False)
    assert missing.exit_code == 1 and "kb-nothing" in missing.output
    assert cli.json("brain", "search", "text") == []  # nothing was stored by any refusal
