"""The skill catalog: the disciplines shipped in the package, the project's folder over them, and files refused with
their path, line and field."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

from overseer.domain import Complexity, ConfigError, WorkType
from overseer.domain.errors import UnknownSkill
from overseer.skills import Catalog

BUILT_IN = ["debug", "retrospective", "review", "spec", "tdd"]


def skill_file(folder: Path, name: str, *, front: str | None = None, body: str = "# Discipline\n\nDo the thing.\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    meta = front if front is not None else (f"name: {name}\ndescription: Use it for {name}: the example.\n"
                                            "work_type: review\ncomplexity: simple\n")
    path = folder / f"{name}.md"
    path.write_text(f"---\n{meta}---\n{body}", encoding="utf-8")
    return path


def test_the_package_ships_the_protocol_and_five_disciplines_as_data_files() -> None:
    shipped = importlib.resources.files("overseer.skills").joinpath("disciplines")
    assert sorted(f.name for f in shipped.iterdir() if f.name.endswith(".md")) == ["_protocol.md", *[f"{n}.md" for n in BUILT_IN]]


def test_the_built_in_skills_load_with_their_routing_and_a_discipline_each() -> None:
    catalog = Catalog.load(None)
    assert catalog.names() == BUILT_IN
    review = catalog.get("review")
    assert (review.work_type, review.complexity, review.source, review.builtin) == (WorkType.REVIEW, Complexity.MEDIUM, "built-in", True)
    assert "## Severities" in review.body and "critical" in review.body and "---" not in review.body.splitlines()[0]
    assert catalog.get("spec").work_type == WorkType.PLANNING and catalog.get("debug").work_type == WorkType.VERIFICATION
    assert all(len(s.description) > 40 and s.body.startswith("# Discipline") for s in catalog)


def test_the_shared_protocol_asks_for_markdown_concreteness_doubts_and_no_trailing_json() -> None:
    protocol = Catalog.load(None).protocol
    for rule in ("Answer in Markdown", "Be concrete", "Say what you are unsure of", "No trailing JSON"):
        assert rule in protocol


def test_the_retrospective_states_the_knowledge_entry_shape_that_proposals_parse() -> None:
    body = Catalog.load(None).get("retrospective").body
    assert "### Knowledge: <a short title that names the fact>\nTags: <tag>, <tag>\n" in body


def test_a_project_skill_is_added_and_one_with_a_built_in_name_overrides_it(tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    skill_file(folder, "migrate")
    own_review = skill_file(folder, "review", body="# Discipline: our review\n\nOnly check the SQL.\n")
    catalog = Catalog.load(folder)
    assert catalog.names() == sorted([*BUILT_IN, "migrate"])
    review = catalog.get("review")
    assert (review.source, review.overrides, review.body) == (str(own_review), True, "# Discipline: our review\n\nOnly check the SQL.\n")
    assert catalog.get("migrate").overrides is False and catalog.get("tdd").builtin


def test_a_project_protocol_replaces_the_shared_one_and_underscore_files_are_not_skills(tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    folder.mkdir()
    (folder / "_protocol.md").write_text("Answer in haiku.\n")
    (folder / "_notes.md").write_text("not a skill, no front matter\n")
    catalog = Catalog.load(folder)
    assert catalog.protocol == "Answer in haiku.\n" and catalog.names() == BUILT_IN


def test_a_missing_folder_adds_nothing() -> None:
    assert Catalog.load(Path("/nonexistent/skills")).names() == BUILT_IN


def test_a_description_with_colons_quotes_and_continuation_lines_is_read_whole(tmp_path: Path) -> None:
    front = 'name: odd\ndescription: "Use it: for odd things"\n  and more of them\nwork_type: planning\ncomplexity: complex\n'
    skill_file(tmp_path, "odd", front=front)
    assert Catalog.load(tmp_path).get("odd").description == "Use it: for odd things and more of them"


@pytest.mark.parametrize(("front", "line", "said"), [
    ("name: bad\nwork_type: review\ncomplexity: simple\n", 1, "description: missing or empty"),
    ("name: bad\ndescription: d\nwork_type: reviewing\ncomplexity: simple\n", 4,
     "work_type: 'reviewing' is not allowed (one of: planning, implementation, review, verification)"),
    ("name: bad\ndescription: d\nwork_type: review\ncomplexity: huge\n", 5, "complexity: 'huge' is not allowed (one of: simple"),
    ("name: other\ndescription: d\nwork_type: review\ncomplexity: simple\n", 2, "name: 'other' differs from the file name 'bad.md'"),
    ("name: bad\ndescription: d\nwork_type: review\ncomplexity: simple\nmodel: gpt\n", 6, "model: unknown field (a skill's front matter"),
    ("name: bad\ndescription:\nwork_type: review\ncomplexity: simple\n", 3, "description: missing or empty"),
    ("name: bad\ndescription: d\njust words\n", 4, "expected `field: value` here, got 'just words'"),
    ("name: bad\nname: bad\n", 3, "name: given twice (first on line 2)"),
])
def test_a_bad_front_matter_is_refused_with_the_path_line_and_field(tmp_path: Path, front: str, line: int, said: str) -> None:
    path = skill_file(tmp_path, "bad", front=front)
    with pytest.raises(ConfigError) as caught:
        Catalog.load(tmp_path)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert said in str(caught.value) and str(caught.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(("text", "said"), [
    ("# just markdown\n", "no front matter: start the file with ---"),
    ("---\nname: bad\n", "the front matter is not closed"),
    ("---\nname: bad\ndescription: d\nwork_type: review\ncomplexity: simple\n---\n\n", "no discipline after it"),
])
def test_a_file_without_a_usable_front_matter_or_body_is_refused_never_skipped(tmp_path: Path, text: str, said: str) -> None:
    (tmp_path / "bad.md").write_text(text)
    with pytest.raises(ConfigError, match=said) as caught:
        Catalog.load(tmp_path)
    assert caught.value.path == str(tmp_path / "bad.md")


def test_a_skill_named_like_a_setting_of_the_skills_section_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.md").write_text("---\nname: folder\ndescription: d\nwork_type: review\ncomplexity: simple\n---\nx\n")
    with pytest.raises(ConfigError, match=r"not a usable skill name.*not one of folder, history_chars, history_limit"):
        Catalog.load(tmp_path)


def test_an_unknown_skill_is_refused_listing_the_known_ones(tmp_path: Path) -> None:
    skill_file(tmp_path, "migrate")
    with pytest.raises(UnknownSkill) as caught:
        Catalog.load(tmp_path).get("reveiw")
    assert caught.value.known == ("debug", "migrate", "retrospective", "review", "spec", "tdd")
    assert "no skill named 'reveiw' (skills: debug, migrate, retrospective, review, spec, tdd;" in str(caught.value)
