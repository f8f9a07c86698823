"""A tiny coding agent for the command harness: one model call, then the files it answered with are written.

    python -m overseer.demo.agent PROMPT

It sends the prompt to an OpenAI-compatible chat completions endpoint (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, model
``OVERSEER_MODEL``), reads whole-file blocks from the reply (a path on its own line, then the full content in a
fence) and writes them into the working directory (never outside it). It prints what it does, then one JSON result
line for the command harness: ``{"type": "result", "success": ..., "usage": {...}, "cost_usd": 0}``. Standard library
only, so it starts fast and needs nothing installed.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["SYSTEM", "complete", "main", "parse_files", "write_files"]

SYSTEM = ("You are a coding agent working in a git repository. Answer with every file you create or change, each as its "
          "path on a line of its own followed by the file's full new content in a ``` fence. Nothing else is applied.")
TIMEOUT = 60.0


def complete(base_url: str, key: str, model: str, prompt: str) -> dict[str, Any]:
    """One chat completion; the decoded JSON reply."""
    body = {"model": model, "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]}
    request = urllib.request.Request(f"{base_url.rstrip('/')}/chat/completions", data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "authorization": f"Bearer {key}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a local endpoint: never through a proxy
    with opener.open(request, timeout=TIMEOUT) as response:
        reply: dict[str, Any] = json.loads(response.read())
    return reply


def parse_files(text: str) -> dict[str, str]:
    """The whole-file blocks of ``text``: {path: content}. A path is the non-empty line right before an opening fence."""
    files: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        opening = lines[i].strip()
        if opening.startswith("```") and i > 0 and lines[i - 1].strip() and " " not in lines[i - 1].strip():
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
            if end is None:
                break
            files[lines[i - 1].strip().strip("`")] = "".join(lines[i + 1:end])
            i = end + 1
            continue
        i += 1
    return files


def write_files(root: Path, files: dict[str, str]) -> list[str]:
    """Write ``files`` under ``root``; a path that would leave it raises ValueError."""
    top = root.resolve()
    written = []
    for name, content in files.items():
        path = (top / name).resolve()
        if not path.is_relative_to(top) or path == top or ".git" in path.relative_to(top).parts:
            raise ValueError(f"refusing to write {name!r}: outside the working directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(name)
    return written


def _result(success: bool, text: str, usage: dict[str, Any] | None = None) -> None:
    line = {"type": "result", "success": success, "result": text, "num_turns": 1, "usage": usage or {}, "cost_usd": 0.0}
    print(json.dumps(line), flush=True)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m overseer.demo.agent PROMPT", file=sys.stderr)
        return 2
    prompt = argv[0]
    base, key = os.environ.get("OPENAI_BASE_URL", ""), os.environ.get("OPENAI_API_KEY", "")
    model = os.environ.get("OVERSEER_MODEL", "")
    if not base or not model:
        _result(False, "OPENAI_BASE_URL and OVERSEER_MODEL must be set (the profile's env and model)")
        return 1
    if "## Feedback from earlier attempts" in prompt:
        print("agent: this is a retry; the earlier attempts' findings are in the prompt", flush=True)
    print(f"agent: asking {model} at {base}", flush=True)
    try:
        reply = complete(base, key, model, prompt)
        text = str(reply["choices"][0]["message"].get("content") or "")
    except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError, TypeError) as exc:
        _result(False, f"the model call failed: {exc}")
        return 1
    usage = reply.get("usage") if isinstance(reply.get("usage"), dict) else {}
    files = parse_files(text)
    if not files:
        _result(False, f"the model answered with no files: {text[:200]!r}", usage)
        return 1
    try:
        written = write_files(Path.cwd(), files)
    except (OSError, ValueError) as exc:
        _result(False, str(exc), usage)
        return 1
    for name in written:
        print(f"agent: wrote {name}", flush=True)
    _result(True, f"wrote {len(written)} file(s): {', '.join(written)}", usage)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
