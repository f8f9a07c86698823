"""``Brain``: the use cases of the knowledge store — add, search, show, export as markdown files, and the
``## Relevant knowledge`` section agents' prompts get. Works over the ``KnowledgeStore`` port only."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from overseer.domain import ValidationError
from overseer.domain.knowledge import KnowledgeEntry, export_name, key_words, relevant_section
from overseer.ports import KnowledgeStore

EXPORT_PAGE = 500


class Brain:
    def __init__(self, store: KnowledgeStore, *, actor: str) -> None:
        self.store = store
        self.actor = actor

    def add(self, title: str, body: str, tags: Sequence[str] = (), source_run: str | None = None,
            source_task: str | None = None) -> KnowledgeEntry:
        entry = KnowledgeEntry(id="", title=title, body=body, tags=tuple(tags), source_run=source_run, source_task=source_task)
        return self.store.add_knowledge(entry, actor=self.actor)

    def search(self, query: str, *, limit: int = 5, tags: Sequence[str] = ()) -> list[KnowledgeEntry]:
        return self.store.search_knowledge(query, limit=limit, tags=tuple(tags))

    def show(self, entry_id: str) -> KnowledgeEntry:
        return self.store.get_knowledge(entry_id)

    def entries(self, *, tag: str | None = None) -> Iterator[KnowledgeEntry]:
        """Every entry, newest first, read a page at a time."""
        offset = 0
        while True:
            page = self.store.list_knowledge(limit=EXPORT_PAGE, offset=offset, tag=tag)
            yield from page
            if len(page) < EXPORT_PAGE:
                return
            offset += len(page)

    def export(self, folder: Path, *, tag: str | None = None) -> list[Path]:
        """One ``.md`` file per entry in ``folder`` (made if missing), named by ``export_name``; returns the paths.

        A file is only ever written directly inside ``folder``: a name that would resolve elsewhere is refused, and a
        symbolic link already at a name is replaced, never followed."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            top = folder.resolve()
            written = []
            for entry in self.entries(tag=tag):
                path = top / export_name(entry)
                if path.parent != top or not path.name.endswith(".md"):  # pragma: no cover - export_name makes neither
                    raise ValidationError("folder", f"{path.name!r} would be written outside {top}")
                _write_new(path, entry.markdown())
                written.append(path)
        except OSError as err:
            raise ValidationError("folder", f"cannot write into {folder}: {err.strerror or err}") from None
        return written

    def relevant(self, prompt_text: str, limit: int = 3) -> str:
        """The ``## Relevant knowledge`` section for a prompt about ``prompt_text`` (its key words, stop words left out):
        the ``limit`` best entries, or the empty string when none match."""
        words = key_words(prompt_text)
        if not words:
            return ""
        return relevant_section(self.store.search_knowledge(" ".join(words), limit=limit))


def _write_new(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, replacing a file or a symbolic link there without following the link."""
    if path.is_symlink():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
