"""A tiny agent for the command harness's live test: one chat completion offering a ``write`` tool, then it does
what the model asked and reports in the JSON lines the command harness understands.

    python tiny_agent.py --task TEXT --workdir DIR --model M     (OPENAI_BASE_URL, OPENAI_API_KEY from the env)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path

WRITE_TOOL = {
    "type": "function",
    "function": {
        "name": "write",
        "description": "Write a file",
        "parameters": {"type": "object", "properties": {"filePath": {"type": "string"}, "content": {"type": "string"}}},
    },
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    body = {
        "model": args.model,
        "messages": [{"role": "system", "content": f"Working directory: {args.workdir}"}, {"role": "user", "content": args.task}],
        "tools": [WRITE_TOOL],
    }
    request = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {os.environ.get('OPENAI_API_KEY', '')}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        reply = json.load(response)
    print(f"model {args.model} answered", flush=True)
    call = reply["choices"][0]["message"]["tool_calls"][0]["function"]
    arguments = json.loads(call["arguments"])
    path = Path(arguments["filePath"])
    path.write_text(arguments["content"], encoding="utf-8")
    print(json.dumps({"usage": reply["usage"]}))
    print(json.dumps({"type": "result", "success": True, "result": f"wrote {path.name}", "num_turns": 1}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
