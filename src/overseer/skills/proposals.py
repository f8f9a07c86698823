"""Knowledge entries a retrospective proposes, read from its markdown.

The retrospective discipline asks for each entry in exactly this shape (inside a fence or not)::

    ### Knowledge: <title>
    Tags: a, b
    <body, until the next heading of level 1 to 3, a fence line, or the end>

The ``Tags:`` line is optional; tags are lower-cased and de-duplicated. An entry without a body is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^#{1,3}\s+Knowledge:\s*(?P<title>.+?)\s*#*\s*$", re.IGNORECASE)
TAGS = re.compile(r"^\s*\**tags\**\s*:\s*\**(?P<tags>.*?)\**\s*$", re.IGNORECASE)
END = re.compile(r"^(#{1,3}\s|\s*(`{3,}|~{3,}))")


@dataclass(frozen=True)
class ProposedKnowledge:
    title: str
    tags: tuple[str, ...]
    body: str


def proposed_knowledge(markdown: str) -> list[ProposedKnowledge]:
    """Every ``### Knowledge: …`` entry of ``markdown``, in order."""
    lines = markdown.splitlines()
    found: list[ProposedKnowledge] = []
    for i, line in enumerate(lines):
        head = HEADING.match(line)
        if head is None:
            continue
        rest = lines[i + 1:]
        end = next((j for j, text in enumerate(rest) if END.match(text)), len(rest))
        body = rest[:end]
        tags: tuple[str, ...] = ()
        first = next((j for j, text in enumerate(body) if text.strip()), None)
        if first is not None and (match := TAGS.match(body[first])):
            raw = [t.strip().strip("`").lower() for t in match.group("tags").split(",")]
            tags = tuple(dict.fromkeys(t for t in raw if t))
            body = body[first + 1:]
        text = "\n".join(body).strip()
        if text:
            found.append(ProposedKnowledge(head.group("title").strip(), tags, text))
    return found
