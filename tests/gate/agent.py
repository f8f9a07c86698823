"""A scripted 'agent' for the gate tests: the task body is a JSON list of attempts, each a mapping of file -> content
(null deletes the file); attempt N applies entry N (the last one repeats). Every prompt it got is kept in the state
folder (argv[2]) as ``<task>.<attempt>.prompt``, so a test can read the feedback an attempt was given."""

import json
import re
import sys
from pathlib import Path

prompt, state = sys.argv[1], Path(sys.argv[2])
task = re.match(r"# Task (\S+):", prompt).group(1)  # type: ignore[union-attr]
body = prompt.split("\n\n")[1]
attempts = json.loads(body)
state.mkdir(parents=True, exist_ok=True)
n = len(list(state.glob(f"{task}.*.prompt"))) + 1
(state / f"{task}.{n}.prompt").write_text(prompt)
for name, content in attempts[min(n, len(attempts)) - 1].items():
    path = Path(name)
    if content is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
print(json.dumps({"type": "result", "success": True, "usage": {"input_tokens": 50, "output_tokens": 10}, "cost_usd": 0.0}), flush=True)
