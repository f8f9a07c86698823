"""Knowledge entries a retrospective proposes, read back from its markdown."""

from __future__ import annotations

from overseer.skills import ProposedKnowledge, proposed_knowledge

RETRO = """## What went well

- tests first

## Proposed knowledge

### Knowledge: Run the tests with uv
Tags: Testing, ci, testing
Use `uv run pytest -q`; bare `pytest` picks up the system Python.

It fails on 3.10.

```markdown
### Knowledge: The API needs a token
**Tags:** api
Set `OVERSEER_TOKEN`; requests without it get 401.
```

### Knowledge: Nothing here

## Assumptions and open questions

- none
"""


def test_each_entry_gives_its_title_lower_cased_unique_tags_and_body_inside_a_fence_or_not() -> None:
    assert proposed_knowledge(RETRO) == [
        ProposedKnowledge("Run the tests with uv", ("testing", "ci"),
                          "Use `uv run pytest -q`; bare `pytest` picks up the system Python.\n\nIt fails on 3.10."),
        ProposedKnowledge("The API needs a token", ("api",), "Set `OVERSEER_TOKEN`; requests without it get 401."),
    ]


def test_an_entry_without_tags_keeps_its_first_line_as_body_and_markdown_without_entries_gives_none() -> None:
    assert proposed_knowledge("### Knowledge: Ports\nThe API listens on 8765.\n") == [
        ProposedKnowledge("Ports", (), "The API listens on 8765.")]
    assert proposed_knowledge("## Proposed knowledge\n\nnone\n") == []
