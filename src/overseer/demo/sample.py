"""The sample repository: ``textkit``, a tiny text-helper package with a pytest suite, and the epic the demo runs on it.

The epic has five dependent tasks; each adds a module and its tests, so the verification's ``tests`` stage runs the
repository's real pytest suite on every attempt. ``TASKS[i].files`` is the right answer to each task: what the scripted
model answers (``overseer.demo.model``), except where it is scripted to make a mistake.

    squash ──┬── slugify ──────┐
             └── truncate ─────┼── preview
    reading_time ──────────────┘
"""

from __future__ import annotations

from dataclasses import dataclass

from overseer.domain import Complexity

__all__ = ["BASE_FILES", "EPIC_BODY", "EPIC_TITLE", "TASKS", "SampleTask"]

BASE_FILES: dict[str, str] = {
    "README.md": """\
# textkit

Small text helpers for a blog engine: words, and (soon) slugs, teasers and reading times.

    python -m pytest
""",
    "pyproject.toml": """\
[project]
name = "textkit"
version = "0.1.0"
requires-python = ">=3.11"

[tool.pytest.ini_options]
testpaths = ["tests"]
""",
    ".gitignore": "__pycache__/\n*.pyc\n",
    "textkit/__init__.py": '"""textkit: small text helpers for a blog engine."""\n\n__version__ = "0.1.0"\n',
    "textkit/words.py": '''\
"""Words of a text."""

import re

WORD = re.compile(r"[A-Za-z0-9']+")


def words(text: str) -> list[str]:
    """The words of ``text``, in order."""
    return WORD.findall(text)
''',
    "tests/test_words.py": '''\
from textkit.words import words


def test_words_are_found_in_order():
    assert words("Hello, big world!") == ["Hello", "big", "world"]


def test_no_words_in_punctuation():
    assert words(" -- ... ") == []
''',
}


@dataclass(frozen=True)
class SampleTask:
    """One task of the epic: what the prompt says, what it waits on (keys of earlier tasks), and the right answer."""

    key: str
    title: str
    body: str
    acceptance: tuple[str, ...]
    files: dict[str, str]
    after: tuple[str, ...] = ()
    complexity: Complexity = Complexity.SIMPLE

    @property
    def file_hints(self) -> tuple[str, ...]:
        return tuple(self.files)


EPIC_TITLE = "Post previews for the blog"
EPIC_BODY = ("Every post gets a preview: a URL slug from its title, a teaser cut at a word boundary, and a reading time. "
             "Build the helpers in textkit, each with tests, then put them together.")

SQUASH = SampleTask(
    key="squash",
    title="Add squash(): collapse runs of whitespace",
    body="Add textkit/spaces.py with squash(text): every run of whitespace becomes one space, none at either end.",
    acceptance=("squash('  a \\n\\t b  ') == 'a b'", "tests in tests/test_spaces.py"),
    files={
        "textkit/spaces.py": '''\
"""Whitespace."""


def squash(text: str) -> str:
    """``text`` with every run of whitespace made one space, and none at either end."""
    return " ".join(text.split())
''',
        "tests/test_spaces.py": '''\
from textkit.spaces import squash


def test_runs_of_whitespace_become_one_space():
    assert squash("  a \\n\\t b  ") == "a b"


def test_empty_text_stays_empty():
    assert squash(" \\n ") == ""
''',
    },
)

READING = SampleTask(
    key="reading",
    title="Add reading_time(): minutes to read a post",
    body="Add textkit/reading.py with reading_time(text, wpm=200): minutes to read, rounded up; 0 for a text without words.",
    acceptance=("reading_time of 201 words is 2", "reading_time('') == 0", "tests in tests/test_reading.py"),
    files={
        "textkit/reading.py": '''\
"""Reading time."""

import math

from textkit.words import words

WORDS_PER_MINUTE = 200


def reading_time(text: str, wpm: int = WORDS_PER_MINUTE) -> int:
    """Minutes to read ``text`` at ``wpm`` words a minute, rounded up; 0 when it has no words."""
    return math.ceil(len(words(text)) / wpm)
''',
        "tests/test_reading.py": '''\
from textkit.reading import reading_time


def test_minutes_are_rounded_up():
    assert reading_time("word " * 201) == 2


def test_a_text_without_words_takes_no_time():
    assert reading_time(" ... ") == 0


def test_the_pace_can_be_given():
    assert reading_time("word " * 100, wpm=50) == 2
''',
    },
)

SLUGIFY = SampleTask(
    key="slugify",
    title="Add slugify(): URL slugs from post titles",
    body="Add textkit/slug.py with slugify(title): lower-case ASCII words joined by single hyphens; accents folded, "
         "punctuation dropped. Use squash() from textkit.spaces.",
    acceptance=("slugify('  Hello,   World! ') == 'hello-world'", "slugify('Crème brûlée') == 'creme-brulee'",
                "tests in tests/test_slug.py"),
    after=("squash",),
    files={
        "textkit/slug.py": '''\
"""URL slugs."""

import re
import unicodedata

from textkit.spaces import squash


def slugify(title: str) -> str:
    """Lower-case ASCII words of ``title`` joined by single hyphens (accents folded, punctuation dropped)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    kept = re.sub(r"[^a-z0-9\\s-]", "", ascii_text.lower())
    return re.sub(r"[\\s-]+", "-", squash(kept)).strip("-")
''',
        "tests/test_slug.py": '''\
from textkit.slug import slugify


def test_words_are_joined_by_hyphens():
    assert slugify("  Hello,   World! ") == "hello-world"


def test_accents_are_folded():
    assert slugify("Crème brûlée") == "creme-brulee"


def test_hyphens_do_not_repeat():
    assert slugify("a - b -- c") == "a-b-c"
''',
    },
)

TRUNCATE = SampleTask(
    key="truncate",
    title="Add truncate(): teasers cut at a word boundary",
    body="Add textkit/truncate.py with truncate(text, width): whitespace squashed; a text longer than width is cut at a "
         "word boundary and ends with '…', and the result is never longer than width.",
    acceptance=("truncate('the quick brown fox', 12) == 'the quick…'", "len(truncate(text, w)) <= w for every w >= 1",
                "tests in tests/test_truncate.py"),
    after=("squash",),
    complexity=Complexity.MEDIUM,
    files={
        "textkit/truncate.py": '''\
"""Teasers."""

from textkit.spaces import squash

ELLIPSIS = "…"


def truncate(text: str, width: int) -> str:
    """``text`` (whitespace squashed) in at most ``width`` characters: cut at a word boundary, ending with an ellipsis."""
    text = squash(text)
    if len(text) <= width:
        return text
    cut = text[: width - len(ELLIPSIS)]
    if text[len(cut)] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + ELLIPSIS
''',
        "tests/test_truncate.py": '''\
from textkit.truncate import truncate

TEXT = "the quick brown fox jumps over the lazy dog"


def test_a_short_text_is_kept_squashed():
    assert truncate("a  short   line", 40) == "a short line"


def test_a_long_text_is_cut_at_a_word_boundary():
    assert truncate("the quick brown fox", 12) == "the quick…"


def test_the_teaser_is_never_longer_than_the_width():
    for width in range(1, len(TEXT)):
        assert len(truncate(TEXT, width)) <= width, width
''',
    },
)

PREVIEW = SampleTask(
    key="preview",
    title="Add preview(): slug, teaser and reading time of a post",
    body="Add textkit/preview.py with preview(title, body, width=80) returning a frozen Preview(slug, teaser, minutes) "
         "built from slugify, truncate and reading_time; document it in README.md.",
    acceptance=("preview('Hello World', body).slug == 'hello-world'", "the teaser is truncate(body, width)",
                "tests in tests/test_preview.py"),
    after=("slugify", "truncate", "reading"),
    files={
        "textkit/preview.py": '''\
"""Post previews."""

from dataclasses import dataclass

from textkit.reading import reading_time
from textkit.slug import slugify
from textkit.truncate import truncate


@dataclass(frozen=True)
class Preview:
    slug: str
    teaser: str
    minutes: int


def preview(title: str, body: str, width: int = 80) -> Preview:
    """What a post shows in a list: its slug, a teaser of at most ``width`` characters, its reading time."""
    return Preview(slugify(title), truncate(body, width), reading_time(body))
''',
        "tests/test_preview.py": '''\
from textkit.preview import Preview, preview

BODY = "the quick brown fox jumps over the lazy dog " * 50


def test_a_preview_has_slug_teaser_and_minutes():
    assert preview("Hello, World", BODY, width=12) == Preview("hello-world", "the quick…", 3)


def test_the_teaser_fits_the_width():
    assert len(preview("t", BODY).teaser) <= 80
''',
        "README.md": """\
# textkit

Small text helpers for a blog engine: words, slugs, teasers and reading times.

    >>> from textkit.preview import preview
    >>> preview("Hello, World", "the quick brown fox jumps", width=12)
    Preview(slug='hello-world', teaser='the quick…', minutes=1)

    python -m pytest
""",
    },
)

TASKS: tuple[SampleTask, ...] = (SQUASH, READING, SLUGIFY, TRUNCATE, PREVIEW)
