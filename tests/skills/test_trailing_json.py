"""The trailing JSON small models append: removed when it is a habit, kept when it is content."""

from __future__ import annotations

import json

import pytest

from overseer.skills import split_trailing_json, strip_trailing_json

ANSWER = "## Findings\n\n- **high** — calc.py:2 — divide by zero\n"
SUMMARY = {"summary": "one high finding", "confidence": 0.8}
FENCED = "```json\n" + json.dumps(SUMMARY, indent=2) + "\n```"


@pytest.mark.parametrize(("answer", "left"), [
    (f"{ANSWER}\n{FENCED}\n", ANSWER),
    (f"{ANSWER}\n{FENCED}", ANSWER),
    (f"{ANSWER}\n{json.dumps(SUMMARY)}\n", ANSWER),
    (f"{ANSWER}\n" + json.dumps(SUMMARY, indent=2) + "\n\n", ANSWER),
    (f"{ANSWER}\n" + '["divide by zero", "no docstring"]', ANSWER),
    (f"{ANSWER}\n```\n" + json.dumps(SUMMARY) + "\n```\n", ANSWER),
    (f"{ANSWER}\n## Summary\n\n{FENCED}\n", ANSWER),
    (f"{ANSWER}\nHere is a JSON summary of the review:\n{FENCED}\n", ANSWER),
    (f"{ANSWER}\n---\n\n**Machine-readable:**\n{FENCED}\n", ANSWER),
    (f"{ANSWER}\n{FENCED}\n\n{json.dumps({'status': 'done'})}\n", ANSWER),
    (f"{ANSWER}\n```jsonc\n[1, 2]\n```\n", ANSWER),
], ids=["fence", "fence-no-newline", "bare-object", "bare-pretty-object", "bare-array", "unlabelled-fence", "summary-heading",
        "summary-intro", "rule-and-machine-readable", "two-blocks", "jsonc"])
def test_a_habitual_json_block_at_the_end_is_removed_with_its_summary_heading(answer: str, left: str) -> None:
    stripped, removed = split_trailing_json(answer, "review calc.py")
    assert stripped == left and removed and all(block.rstrip().endswith(("}", "]", "```")) for block in removed)


def test_what_was_removed_is_returned_last_block_first() -> None:
    _, removed = split_trailing_json(f"{ANSWER}\n{FENCED}\n{{\"status\": \"done\"}}\n")
    assert removed == ('{"status": "done"}', FENCED)


EXAMPLE = "```json\n{\"extends\": \"eslint:recommended\", \"rules\": {\"semi\": \"error\"}}\n```\n"


@pytest.mark.parametrize(("answer", "request_text"), [
    (f"{ANSWER}\n{FENCED}\n\n## Next steps\n\n- fix it\n", "review calc.py"),
    (f"{ANSWER}\n{FENCED}\n", "review calc.py and end with a JSON summary"),
    (f"## Config\n\nAdd this to `.eslintrc.json`:\n\n{EXAMPLE}", "set up linting"),
    (f"Turn on the rule in the project.\n\n## Example configuration\n\n{EXAMPLE}", "set up linting"),
    (f"{EXAMPLE}", "give me the lint config"),
    (f"{ANSWER}\n```yaml\nsummary: one high finding\n```\n", "review calc.py"),
    (f"{ANSWER}\n```json\n{{\"summary\": \"one\", // a comment\n}}\n```\n", "review calc.py"),
    (f"{ANSWER}\nThe whole result is {json.dumps(SUMMARY)}\n", "review calc.py"),
    (f"## Summary\n\n{FENCED}\n", "review calc.py"),
    (f"{ANSWER}\nUse the set\n{{1, 2}}\n", "review calc.py"),
    ("", "anything"),
], ids=["json-in-the-middle", "request-asked-for-json", "introduced-with-a-colon", "under-an-example-heading", "whole-answer",
        "yaml-fence", "json-that-does-not-parse", "object-mid-line", "nothing-else-left", "braces-not-json", "empty"])
def test_json_that_is_content_or_asked_for_stays_untouched(answer: str, request_text: str) -> None:
    assert split_trailing_json(answer, request_text) == (answer, ())


def test_markdown_before_a_habitual_block_is_kept_byte_for_byte_with_one_final_newline() -> None:
    body = "# Plan\n\n```python\nprint({'a': 1})\n```\n\nDone.   \n"
    assert strip_trailing_json(body + "\n" + FENCED) == "# Plan\n\n```python\nprint({'a': 1})\n```\n\nDone.\n"
