"""Removing the JSON that small models append to a markdown answer out of habit.

The rule, applied to the end of the answer, again and again while it holds:

1. The answer ends (only whitespace after) with a JSON block: a fence labelled ``json``/``jsonc``/``json5`` or
   unlabelled, whose content parses as a JSON object or array; or a bare object or array that starts at the
   beginning of a line and parses to the end of the answer.
2. It is **kept** (and nothing more is removed) when any of these holds:
   - the request mentions JSON (the word ``json`` in any case): it may have asked for it;
   - nothing but whitespace comes before it: the whole answer is that block;
   - it is introduced as content: the last non-blank line before it is a heading or ends with a colon
     ("Add this to `.eslintrc.json`:", "## Example configuration"), unless that line calls it a summary,
     recap, metadata, TL;DR, machine-readable or structured output.
3. Otherwise it is a habit and is removed, together with a summary heading or summary introduction line
   just before it and a horizontal rule left dangling at the end.

JSON in the middle of the answer (markdown after it) is never touched, nor fences of other languages, nor text
that only looks like JSON (``{placeholder}``), nor an object that starts in the middle of a line.
"""

from __future__ import annotations

import json
import re

FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*$")
JSON_LANGS = frozenset({"", "json", "jsonc", "json5"})
HABIT = re.compile(r"summary|recap|metadata|tl;?dr|machine[- ]readable|structured", re.IGNORECASE)
ASKS_JSON = re.compile(r"\bjson\b", re.IGNORECASE)
RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
MAX_CANDIDATES = 200  # line starts tried for a bare object, from the end


def split_trailing_json(answer: str, request: str = "") -> tuple[str, tuple[str, ...]]:
    """``answer`` without its habitual trailing JSON blocks, and the blocks removed (last first)."""
    if ASKS_JSON.search(request):
        return answer, ()
    text, removed = answer.rstrip(), []
    while (start := _trailing_block(text)) is not None:
        before = text[:start].rstrip()
        if not before.strip() or _introduced_as_content(before):
            break
        removed.append(text[start:].strip())
        text = _drop_intro(before)
    if not removed or not text.strip():  # nothing habitual, or nothing would be left: the block is the answer
        return answer, ()
    return text.rstrip() + "\n", tuple(removed)


def strip_trailing_json(answer: str, request: str = "") -> str:
    """``answer`` without its habitual trailing JSON blocks (see the module's rule)."""
    return split_trailing_json(answer, request)[0]


def _trailing_block(text: str) -> int | None:
    """Where the JSON block that ends ``text`` starts, or None."""
    lines = text.splitlines(keepends=True)
    if not lines:
        return None
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    closing = FENCE.match(lines[-1])
    if closing and not closing.group(2):
        return _fenced(lines, offsets, closing.group(1))
    if text[-1] not in "}]":
        return None
    tried = 0
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].lstrip()[:1] not in ("{", "["):
            continue
        if _is_json(text[offsets[i]:]):
            return offsets[i]
        tried += 1
        if tried >= MAX_CANDIDATES:
            break
    return None


def _fenced(lines: list[str], offsets: list[int], fence: str) -> int | None:
    """The start of the fenced block whose closing fence is the last line, when it holds JSON."""
    for i in range(len(lines) - 2, -1, -1):
        opening = FENCE.match(lines[i])
        if opening is None:
            continue
        if opening.group(1)[0] != fence[0] or len(opening.group(1)) > len(fence):
            return None  # another fence inside: not one simple block
        if opening.group(2).lower() not in JSON_LANGS or not _is_json("".join(lines[i + 1:-1])):
            return None
        return offsets[i]
    return None


def _is_json(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict | list)


def _introduced_as_content(before: str) -> bool:
    last = before.splitlines()[-1].strip()
    introduces = last.startswith("#") or last.rstrip("*_ ").endswith(":")
    return introduces and not HABIT.search(last)


def _drop_intro(before: str) -> str:
    """``before`` without a summary heading/introduction line and horizontal rules left at its end."""
    lines = before.splitlines()
    while lines and (not lines[-1].strip() or RULE.match(lines[-1]) or _is_summary_intro(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def _is_summary_intro(line: str) -> bool:
    line = line.strip()
    return (line.startswith("#") or line.rstrip("*_ ").endswith(":")) and bool(HABIT.search(line))
