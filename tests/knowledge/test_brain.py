"""``Brain``: the knowledge use cases over the port — notes added, found and shown, exported as ``.md`` files that
never land outside the folder, and the ``## Relevant knowledge`` section a prompt gets."""

from __future__ import annotations

from pathlib import Path

import pytest

import overseer.knowledge as brain_module
from overseer.domain import KnowledgeNotFound, ValidationError
from overseer.domain.knowledge import RELEVANT_BODY_CHARS, RELEVANT_HEADING
from overseer.knowledge import Brain
from overseer.store.memory import InMemoryStore


@pytest.fixture
def brain() -> Brain:
    return Brain(InMemoryStore(), actor="alice")


def test_a_note_added_is_found_by_a_word_of_its_title_and_shown_whole(brain: Brain) -> None:
    note = brain.add("Flaky tests", "Seed the random generator.", ["tests", "CI"], source_run="run-7")
    assert [e.id for e in brain.search("flaky")] == [note.id]
    shown = brain.show(note.id)
    assert (shown.title, shown.body, shown.tags, shown.source_run, shown.created_by) == (
        "Flaky tests", "Seed the random generator.", ("tests", "ci"), "run-7", "alice")
    with pytest.raises(KnowledgeNotFound):
        brain.show("kb-missing")


def test_an_untitled_note_is_refused_naming_the_title(brain: Brain) -> None:
    with pytest.raises(ValidationError) as refused:
        brain.add("", "body")
    assert refused.value.field == "title" and brain.search("body") == []


def test_export_writes_one_md_file_per_note_inside_the_folder_whatever_the_title(brain: Brain, tmp_path: Path) -> None:
    notes = [brain.add(title, f"body {n}") for n, title in enumerate(["../../etc/passwd", "a/b\\c", "Plain title", "   ...   "])]
    folder = tmp_path / "out" / "brain"
    paths = brain.export(folder)
    assert len(paths) == len(notes) and len({p.name for p in paths}) == len(notes)
    assert all(p.parent == folder.resolve() and p.name.endswith(".md") for p in paths)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    assert not (tmp_path / "etc").exists()
    by_id = {p.name.split("-", 2)[0] + "-" + p.name.split("-", 2)[1]: p.read_text() for p in paths}
    assert by_id[notes[2].id] == "# Plain title\n\nbody 2\n"


def test_export_replaces_a_symbolic_link_at_a_name_instead_of_writing_through_it(brain: Brain, tmp_path: Path) -> None:
    note = brain.add("Target", "the note")
    folder, victim = tmp_path / "out", tmp_path / "victim.txt"
    folder.mkdir()
    victim.write_text("untouched")
    [first] = brain.export(folder)
    first.unlink()
    first.symlink_to(victim)
    [again] = brain.export(folder)
    assert victim.read_text() == "untouched"
    assert not again.is_symlink() and again.read_text().startswith("# Target") and note.id in again.name


def test_export_reads_every_page_of_notes(brain: Brain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(brain_module, "EXPORT_PAGE", 2)
    for n in range(5):
        brain.add(f"note {n}", "body")
    assert len(brain.export(tmp_path)) == 5


def test_relevant_quotes_the_best_notes_under_one_heading_and_is_empty_when_nothing_matches(brain: Brain) -> None:
    alembic = brain.add("Alembic revisions", "Never edit an old revision; add one.", ["db"])
    brain.add("Docker layers", "Order them from stable to volatile.")
    assert brain.relevant("Paint the bike shed") == ""
    assert brain.relevant("the and of to with") == ""  # stop words alone say nothing
    section = brain.relevant("Add an alembic revision for the knowledge table", limit=3)
    assert section.startswith(RELEVANT_HEADING + "\n")
    assert f"### Alembic revisions ({alembic.id})" in section and "Never edit an old revision" in section and "_tags: db_" in section
    assert "Docker" not in section


def test_relevant_keeps_to_the_limit_and_cuts_long_bodies(brain: Brain) -> None:
    for n in range(4):
        brain.add(f"Parser note {n}", "parser " + "x" * (RELEVANT_BODY_CHARS + 500))
    section = brain.relevant("parser", limit=2)
    assert section.count("### Parser note") == 2
    assert len(section) < 2 * RELEVANT_BODY_CHARS + 600 and " …" in section


def test_export_into_a_path_that_is_a_file_is_refused_naming_the_folder(brain: Brain, tmp_path: Path) -> None:
    brain.add("Note", "body")
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    with pytest.raises(ValidationError) as refused:
        brain.export(blocker)
    assert refused.value.field == "folder" and str(blocker) in str(refused.value)
