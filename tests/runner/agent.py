"""A tiny scripted 'agent' for the command harness: it acts out the first line of the task body.

    write FILE TEXT   write TEXT to FILE, print a successful result
    fail              print a failed result, exit 1
    crash             exit 3 without a result
    hang              print one line, then sleep (a stall)
    commit FILE       write FILE and commit it itself
    nothing           succeed without changing anything
    limit             answer as a provider at its limit (a failed result saying 429)
"""

import json
import subprocess
import sys
import time
from pathlib import Path

prompt = sys.argv[1]
body = prompt.split("\n\n")[1] if "\n\n" in prompt else ""
words = body.split()
action = words[0] if words else "nothing"


def result(success: bool) -> None:
    print(json.dumps({"type": "result", "success": success, "usage": {"input_tokens": 100, "output_tokens": 20}, "cost_usd": 0.01}),
          flush=True)


print("agent: working on it", flush=True)
if "## Feedback from earlier attempts" in prompt:
    print("agent: feedback: " + prompt.split("## Feedback from earlier attempts\n")[1].split("\n")[0], flush=True)
if action == "write":
    Path(words[1]).write_text(" ".join(words[2:]) + "\n")
    result(True)
elif action == "commit":
    Path(words[1]).write_text("by the agent\n")
    subprocess.run(["git", "-c", "user.name=agent", "-c", "user.email=a@a", "commit", "-qam", "agent commit"], check=False)
    subprocess.run(["git", "add", words[1]], check=True)
    subprocess.run(["git", "-c", "user.name=agent", "-c", "user.email=a@a", "commit", "-qm", "agent commit"], check=True)
    result(True)
elif action == "fail":
    result(False)
    sys.exit(1)
elif action == "limit":
    print(json.dumps({"type": "result", "success": False, "result": "API Error: 429 rate limit reached for requests"}), flush=True)
    sys.exit(1)
elif action == "crash":
    sys.exit(3)
elif action == "hang":
    time.sleep(600)
else:
    result(True)
