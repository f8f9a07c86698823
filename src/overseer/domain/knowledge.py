"""The knowledge store's values ("brain"): markdown entries that agents and skills read back.

An entry is a title, tags, a markdown body and, when a run taught it, the run it came from. Search is full text over
title, tags and body (SQLite FTS5, PostgreSQL full text); a query is words, never the engine's syntax: quotes,
operators and parentheses a person types are taken as plain words.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from overseer.domain.errors import ValidationError

MAX_TITLE = 200
MAX_BODY = 100_000
MAX_PAGE = 1000
TAG = re.compile(r"^[a-z0-9][a-z0-9._/-]{0,49}$")
ENTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ID_PREFIX = "kb-"

#: Event kinds the stores append, in the same transaction as the change.
ADDED = "knowledge.added"
DELETED = "knowledge.deleted"


@dataclass(frozen=True)
class KnowledgeEntry:
    id: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    source_run: str | None = None
    source_task: str | None = None
    created_at: datetime | None = None
    created_by: str = ""
    score: float | None = field(default=None, compare=False)  # set on search results: higher is more relevant

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "body": self.body, "tags": list(self.tags), "source_run": self.source_run,
                "source_task": self.source_task, "created_at": self.created_at.isoformat() if self.created_at else None,
                "created_by": self.created_by, **({"score": self.score} if self.score is not None else {})}

    def markdown(self) -> str:
        """The entry as a markdown document (what ``brain export`` writes and prompts quote)."""
        meta = [f"tags: {', '.join(self.tags)}"] if self.tags else []
        if self.source_run:
            meta.append(f"source run: {self.source_run}")
        head = f"# {self.title}\n\n" + ("".join(f"_{m}_  \n" for m in meta) + "\n" if meta else "")
        return head + self.body.strip() + "\n"


def normalise_tags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Lower-cased, de-duplicated, order kept; a tag that is not ``[a-z0-9._/-]`` (max 50) is a ValidationError."""
    out: list[str] = []
    for raw in tags:
        tag = raw.strip().lower()
        if not TAG.match(tag):
            raise ValidationError("tags", f"{raw!r} is not a tag (letters, digits, . _ / -, at most 50)")
        if tag not in out:
            out.append(tag)
    return tuple(out)


def check_entry(title: str, body: str) -> None:
    if not title.strip():
        raise ValidationError("title", "a knowledge entry needs a title")
    if len(title) > MAX_TITLE:
        raise ValidationError("title", f"at most {MAX_TITLE} characters (got {len(title)})")
    if not body.strip():
        raise ValidationError("body", "a knowledge entry needs a body")
    if len(body) > MAX_BODY:
        raise ValidationError("body", f"at most {MAX_BODY} characters (got {len(body)})")


WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)  # \u2019: the typographic apostrophe


def query_words(query: str, *, limit: int = 32) -> list[str]:
    """The words of a search query, lower-cased, with every full-text operator character dropped: ``"a" OR b*`` is
    the words a, or, b. Each store quotes them for its engine."""
    return [w.lower() for w in WORD.findall(query)][:limit]


def export_name(entry: KnowledgeEntry) -> str:
    """A file name for the entry, always ending in ``.md``: id plus a slug of the title, nothing a path could abuse."""
    slug = re.sub(r"[^a-z0-9]+", "-", entry.title.lower()).strip("-")[:60] or "entry"
    safe_id = re.sub(r"[^A-Za-z0-9-]", "-", entry.id)
    return f"{safe_id}-{slug}.md"


def new_knowledge_id() -> str:
    """``kb-`` plus ten hex digits of randomness (a store draws again in the unlikely case it is taken)."""
    return ID_PREFIX + hashlib.sha256(os.urandom(16)).hexdigest()[:10]


def prepared(entry: KnowledgeEntry, *, now: datetime, actor: str) -> KnowledgeEntry:
    """``entry`` checked and made ready to store: title trimmed, tags normalised, creation time and author filled in.
    An empty id is left empty (the store assigns one). Raises ValidationError naming the field."""
    if entry.id and not ENTRY_ID.fullmatch(entry.id):
        raise ValidationError("id", f"{entry.id!r} is not an entry id (letters, digits, . _ -, at most 64)")
    check_entry(entry.title, entry.body)
    for name in ("title", "body"):
        if "\x00" in getattr(entry, name):
            raise ValidationError(name, "contains a NUL character (\\x00), which no database stores as text")
    for name in ("source_run", "source_task"):
        value = getattr(entry, name)
        if value is not None and not ENTRY_ID.fullmatch(value):
            raise ValidationError(name, f"{value!r} is not a run or task id")
    return replace(entry, title=" ".join(entry.title.split()), tags=normalise_tags(entry.tags),
                   created_at=entry.created_at or now, created_by=entry.created_by or actor, score=None)


def check_page(limit: int, offset: int = 0) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError("limit", f"must be between 1 and {MAX_PAGE} (got {limit})")
    if offset < 0:
        raise ValidationError("offset", f"must be 0 or more (got {offset})")


# -- relevance ---------------------------------------------------------------------------------------------

#: Words too common to say what a text is about; left out of the query a prompt's text becomes.
STOP_WORDS = frozenset((
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "before", "but", "by",
    "can", "could", "do", "does", "for", "from", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its",
    "may", "more", "must", "no", "not", "of", "on", "or", "our", "should", "so", "some", "such", "than", "that",
    "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "up", "use", "used", "using",
    "was", "we", "were", "what", "when", "where", "which", "while", "who", "will", "with", "would", "you", "your",
))


def key_words(text: str, *, limit: int = 32) -> list[str]:
    """The words of ``text`` that say what it is about: stop words and repeats left out, first ``limit`` kept."""
    seen: dict[str, None] = {}
    for word in query_words(text, limit=100_000):
        if word not in STOP_WORDS and len(word) > 1:
            seen.setdefault(word)
            if len(seen) >= limit:
                break
    return list(seen)


#: How much a word counts in each part of an entry: the title says most about it, then its tags, then the body.
WEIGHTS = {"title": 10.0, "tags": 4.0, "body": 1.0}


def term_score(entry: KnowledgeEntry, words: Sequence[str]) -> float:
    """A plain term-frequency relevance of ``entry`` to ``words`` (the in-memory store's ranking; 0 means no match)."""
    parts = {"title": entry.title, "tags": " ".join(entry.tags), "body": entry.body}
    wanted = set(words)
    score = 0.0
    for part, text in parts.items():
        tokens = query_words(text, limit=100_000)
        score += WEIGHTS[part] * sum(1 for t in tokens if t in wanted) / (1 + len(tokens)) ** 0.5
    return score


RELEVANT_HEADING = "## Relevant knowledge"
RELEVANT_BODY_CHARS = 2_000


def relevant_section(entries: Sequence[KnowledgeEntry]) -> str:
    """The prompt section quoting ``entries`` (bodies cut at ``RELEVANT_BODY_CHARS``); empty when there are none."""
    if not entries:
        return ""
    parts = [f"{RELEVANT_HEADING}\nNotes from earlier work in this project (`overseer brain`) that may apply; check them "
             "against the code before relying on them."]
    for e in entries:
        body = e.body.strip()
        if len(body) > RELEVANT_BODY_CHARS:
            body = body[:RELEVANT_BODY_CHARS].rstrip() + " …"
        tags = f"\n_tags: {', '.join(e.tags)}_" if e.tags else ""
        parts.append(f"### {e.title} ({e.id}){tags}\n{body}")
    return "\n\n".join(parts)
