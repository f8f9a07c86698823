"""The codebase review the planning model reads: an overview (languages, test set-up, conventions), the file tree, the
project's own instructions (AGENTS.md, CONTRIBUTING, README), the files the request names, manifests and entry points —
packed greedily, most useful first, within a token budget (about 4 characters a token), with what was left out said."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from overseer.planning.survey import conventions, languages, list_files, read_text, test_setups

__all__ = ["CHARS_PER_TOKEN", "Review", "Section", "review_codebase", "tokens"]

CHARS_PER_TOKEN = 4
MIN_PART = 60  # tokens: a section cut shorter than this is left out instead
_DOCS = ("AGENTS.md", "CLAUDE.md", "CONTRIBUTING.md", ".github/copilot-instructions.md", "docs/architecture.md")
_MANIFESTS = ("pyproject.toml", "package.json", "go.mod", "Cargo.toml", "setup.cfg", "Makefile")
_ENTRY = re.compile(r"(^|/)(__main__\.py|main\.py|app\.py|cli\.py|manage\.py|index\.(ts|js|tsx)|main\.go|main\.rs|lib\.rs)$")


def tokens(text: str) -> int:
    """The token estimate: characters / 4, rounded up."""
    return -(-len(text) // CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Section:
    title: str
    text: str

    @property
    def tokens(self) -> int:
        return tokens(self.title) + tokens(self.text) + 2


@dataclass(frozen=True)
class _Candidate:
    title: str
    text: str
    share: float        # the largest part of the budget it may take
    cuttable: bool = True


@dataclass(frozen=True)
class Review:
    root: str
    files: int
    languages: dict[str, int]
    tests: tuple[str, ...]
    conventions: tuple[str, ...]
    sections: tuple[Section, ...]
    left_out: tuple[str, ...]
    budget: int

    @property
    def used(self) -> int:
        return sum(s.tokens for s in self.sections)

    def text(self) -> str:
        """The review as the prompt carries it."""
        parts = [f"## {s.title}\n{s.text}" for s in self.sections]
        if self.left_out:
            parts.append("## Left out to fit the review budget\n" + "\n".join(f"- {x}" for x in self.left_out))
        return "\n\n".join(parts)

    def summary(self) -> str:
        """A few lines for the plan's epic: what the review saw and what it left out."""
        langs = ", ".join(f"{k} {v}" for k, v in list(self.languages.items())[:6]) or "none recognised"
        lines = [f"{self.files} files; languages: {langs}",
                 "tests: " + ("; ".join(self.tests) or "none found"),
                 "conventions: " + ("; ".join(self.conventions) or "none found"),
                 f"review: {self.used:,} of {self.budget:,} tokens: " + ", ".join(s.title for s in self.sections)]
        if self.left_out:
            lines.append("left out: " + "; ".join(self.left_out))
        return "\n".join(lines)

    def dict(self) -> dict[str, object]:
        return {"root": self.root, "files": self.files, "languages": self.languages, "tests": list(self.tests),
                "conventions": list(self.conventions), "sections": [{"title": s.title, "tokens": s.tokens} for s in self.sections],
                "left_out": list(self.left_out), "budget": self.budget, "used": self.used}


def review_codebase(root: Path, request: str = "", *, budget: int = 12_000, test_command: str | None = None) -> Review:
    """Survey ``root`` and pack what the planning model should read within ``budget`` tokens."""
    files = list_files(root)
    langs, tests, convs = languages(files), test_setups(root, files, test_command), conventions(root, files)
    overview = "\n".join([f"files: {len(files)}", "languages: " + (", ".join(f"{k} ({v} files)" for k, v in langs.items()) or "none"),
                          "test set-up: " + ("; ".join(tests) or "none found"), "conventions: " + ("; ".join(convs) or "none found")])
    candidates = [_Candidate("Overview", overview, 1.0, cuttable=False), _Candidate("File tree", _tree(files), 0.3)]
    candidates += _file_candidates(root, files, request)
    sections, left_out = _pack(candidates, budget)
    return Review(str(root), len(files), langs, tuple(tests), tuple(convs), tuple(sections), tuple(left_out), budget)


def _tree(files: list[str]) -> str:
    """Paths, shallow ones first when the list is cut (the cut keeps whole lines)."""
    return "\n".join(sorted(files, key=lambda f: (f.count("/"), f)))


def _mentioned(files: list[str], request: str) -> list[str]:
    """Files the request names, by path or by file name (``calc.py``, ``src/app/models.py``)."""
    words = set(re.findall(r"[\w./-]+\.\w+", request))
    return [f for f in files if f in words or PurePosixPath(f).name in words]


def _file_candidates(root: Path, files: list[str], request: str) -> list[_Candidate]:
    present = set(files)
    picks: list[tuple[str, str, float]] = []
    picks += [(f, "instructions", 0.2) for f in _DOCS if f in present]
    picks += [(f, "readme", 0.15) for f in files if "/" not in f and f.lower().startswith("readme")][:1]
    picks += [(f, "named in the request", 0.25) for f in _mentioned(files, request)]
    picks += [(f, "manifest", 0.1) for f in _MANIFESTS if f in present]
    picks += [(f, "entry point", 0.1) for f in files if _ENTRY.search(f)][:5]
    out: list[_Candidate] = []
    seen: set[str] = set()
    for path, why, share in picks:
        if path in seen:
            continue
        seen.add(path)
        text = read_text(root / path)
        if text is not None and text.strip():
            out.append(_Candidate(f"{path} ({why})", text, share))
    return out


def _pack(candidates: list[_Candidate], budget: int) -> tuple[list[Section], list[str]]:
    """Each candidate in order within its share of the budget; then what was cut or left out gets what the others left."""
    chosen: dict[int, Section] = {}
    remaining = budget
    for i, c in enumerate(candidates):
        section = _fit(c, min(remaining, int(budget * c.share)))
        if section is not None:
            chosen[i], remaining = section, remaining - section.tokens
    for i, c in enumerate(candidates):
        have = chosen.get(i)
        if have is not None and have.text == c.text:
            continue
        spare = remaining + (have.tokens if have is not None else 0)
        section = _fit(c, spare)
        if section is not None and (have is None or section.tokens > have.tokens):
            chosen[i], remaining = section, spare - section.tokens
    left_out = []
    for i, c in enumerate(candidates):
        whole = Section(c.title, c.text).tokens
        if i not in chosen:
            left_out.append(f"{c.title}: {whole:,} tokens")
        elif chosen[i].text != c.text:
            left_out.append(f"{c.title}: cut to {chosen[i].tokens:,} of {whole:,} tokens")
    return [chosen[i] for i in sorted(chosen)], left_out


def _fit(c: _Candidate, allowed: int) -> Section | None:
    """``c`` whole when it fits ``allowed`` tokens, else cut to fit (when it may be cut and enough is left), else None."""
    whole = Section(c.title, c.text)
    if whole.tokens <= allowed:
        return whole
    if not c.cuttable or allowed < MIN_PART:
        return None
    return Section(c.title, _cut(c.text, (allowed - tokens(c.title) - 12) * CHARS_PER_TOKEN))


def _cut(text: str, chars: int) -> str:
    """The first lines of ``text`` within ``chars``, and how many lines were cut."""
    head = text[:max(0, chars)]
    if "\n" in head:
        head = head[:head.rindex("\n")]
    rest = text[len(head):].count("\n") + (0 if text.endswith("\n") else 1)
    return f"{head}\n… ({rest} more lines)"
