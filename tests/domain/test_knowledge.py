"""The knowledge values: query words without engine syntax, key words without stop words, safe export names, the
prompt section's place in a prompt."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from overseer.domain import Task
from overseer.domain.knowledge import KnowledgeEntry, export_name, key_words, query_words, term_score
from overseer.domain.prompt import build_prompt


def test_query_words_keep_only_words_so_no_operator_reaches_an_engine() -> None:
    assert query_words('"a" OR b* NEAR(x y) col:val -foo (((') == ["a", "or", "b", "near", "x", "y", "col", "val", "foo"]
    assert query_words("🚀🔥 ^~{}[]") == []
    assert query_words("Миграции 数据库 don't") == ["миграции", "数据库", "don't"]


@given(st.text())
def test_no_query_word_holds_a_character_full_text_engines_treat_as_syntax(text: str) -> None:
    syntax = set('"*:()^{}[]+-~<>@!&|\\')
    assert all(not (set(w) & syntax) and w == w.lower() and w for w in query_words(text))


def test_key_words_leave_out_stop_words_one_letter_words_and_repeats() -> None:
    assert key_words("Add the alembic revision for the alembic table, a b") == ["add", "alembic", "revision", "table"]


@given(st.text(), st.text(alphabet=string.ascii_letters + "-_/.", max_size=10))
def test_an_export_name_is_always_one_plain_md_file_name(title: str, entry_id: str) -> None:
    name = export_name(KnowledgeEntry(id=entry_id or "kb-1", title=title or "t", body="b"))
    assert name.endswith(".md") and "/" not in name and "\\" not in name and not name.startswith(".") and ".." not in name


def test_a_title_word_weighs_more_than_the_same_word_in_the_body() -> None:
    titled = KnowledgeEntry(id="a", title="alembic", body="one two three")
    body_only = KnowledgeEntry(id="b", title="notes", body="alembic one two")
    assert term_score(titled, ["alembic"]) > term_score(body_only, ["alembic"]) > 0
    assert term_score(body_only, ["docker"]) == 0


def test_the_knowledge_section_comes_after_the_task_and_before_the_closing_instruction() -> None:
    prompt = build_prompt(Task(id="ov-1", title="T", body="do it"), knowledge="## Relevant knowledge\n### Note (kb-1)\ntext")
    assert prompt.index("do it") < prompt.index("## Relevant knowledge") < prompt.index("## When done")
    assert "Relevant knowledge" not in build_prompt(Task(id="ov-1", title="T", body="do it"), knowledge="")
