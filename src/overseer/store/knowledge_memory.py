"""The knowledge store of ``InMemoryStore``: a mixin over the store's dicts, behind the store's one lock.

Search ranks by plain term frequency (``domain.knowledge.term_score``: title above tags above body); the SQL stores
use their engines' full text, and the contract suite holds all three to the same visible behaviour.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overseer.domain import KnowledgeNotFound, ValidationError
from overseer.domain.knowledge import (
    ADDED,
    DELETED,
    KnowledgeEntry,
    check_page,
    new_knowledge_id,
    normalise_tags,
    prepared,
    query_words,
    term_score,
)


class MemoryKnowledgeMixin:
    _lock: threading.RLock
    _clock: Callable[[], datetime]
    _knowledge: dict[str, KnowledgeEntry]  # in insertion order, as the SQL stores' ``seq``

    if TYPE_CHECKING:
        def _log(self, kind: str, task_id: str | None, actor: str, data: Mapping[str, Any] | None = None,
                 run_id: str | None = None) -> None: ...

    def add_knowledge(self, entry: KnowledgeEntry, *, actor: str) -> KnowledgeEntry:
        ready = prepared(entry, now=self._clock(), actor=actor)
        with self._lock:
            if not ready.id:
                ready = replace(ready, id=next(i for i in iter(new_knowledge_id, None) if i not in self._knowledge))
            elif ready.id in self._knowledge:
                raise ValidationError("id", f"a knowledge entry with id {ready.id!r} already exists")
            self._knowledge[ready.id] = ready
            self._log(ADDED, None, actor, {"id": ready.id, "title": ready.title, "tags": list(ready.tags), "source_run": ready.source_run})
            return ready

    def get_knowledge(self, entry_id: str) -> KnowledgeEntry:
        with self._lock:
            try:
                return self._knowledge[entry_id]
            except KeyError:
                raise KnowledgeNotFound(entry_id) from None

    def search_knowledge(self, query: str, *, limit: int = 5, tags: tuple[str, ...] = ()) -> list[KnowledgeEntry]:
        check_page(limit)
        wanted = set(normalise_tags(tags))
        words = query_words(query)
        if not words:
            return []
        with self._lock:
            candidates = [e for e in self._knowledge.values() if wanted <= set(e.tags)]
        scored = [(term_score(e, words), e) for e in candidates]
        ranked = sorted(((s, e) for s, e in scored if s > 0), key=lambda pair: (-pair[0], pair[1].id))
        return [replace(e, score=s) for s, e in ranked[:limit]]

    def list_knowledge(self, *, limit: int = 50, offset: int = 0, tag: str | None = None) -> list[KnowledgeEntry]:
        check_page(limit, offset)
        wanted = normalise_tags([tag])[0] if tag is not None else None
        with self._lock:
            entries = list(self._knowledge.values())
        newest = [e for _, e in sorted(enumerate(entries), key=lambda p: (p[1].created_at, p[0]), reverse=True)]
        return [e for e in newest if wanted is None or wanted in e.tags][offset : offset + limit]

    def delete_knowledge(self, entry_id: str, *, actor: str) -> None:
        with self._lock:
            entry = self._knowledge.pop(entry_id, None)
            if entry is None:
                raise KnowledgeNotFound(entry_id)
            self._log(DELETED, None, actor, {"id": entry_id, "title": entry.title})
