"""The demo's ``overseer.yaml``: two profiles on the built-in scripted model, routing with a cascade, every check on.

Both profiles drive ``overseer.demo.agent`` through the command harness (a real subprocess in a real worktree, real
HTTP to the scripted model server). Implementation work starts on ``scripted-small``; a failed attempt climbs the
cascade to ``scripted-large``, which also does the reviews (through the model gateway, as LiteLLM calls).
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from overseer.demo.model import LARGE_MODEL, SMALL_MODEL

__all__ = ["KEY_ENV", "KEY_VALUE", "LARGE", "SMALL", "overseer_yaml"]

SMALL, LARGE = "scripted-small", "scripted-large"
KEY_ENV = "OVERSEER_DEMO_MODEL_KEY"
KEY_VALUE = "scripted-model-needs-no-key"  # the scripted server ignores it; LiteLLM's OpenAI client wants one

HEADER = """\
# overseer.yaml written by `overseer demo`.
# The two profiles run on Overseer's BUILT-IN SCRIPTED MODEL (overseer/demo/model.py), served on 127.0.0.1 while the
# demo runs: no real LLM, no API key. Everything else is real: the command harness runs overseer.demo.agent in a git
# worktree per run, and every run is verified (diff, ruff/bandit, secret scan, pytest, review) before it lands.
"""


def _profile(model: str, provider: str, base_url: str, pool: int) -> dict[str, Any]:
    return {
        "harness": "command",
        "provider": provider,
        "model": model,
        "command": [sys.executable, "-m", "overseer.demo.agent", "{prompt}"],
        "env": {"OPENAI_BASE_URL": f"{base_url}/v1", "OPENAI_API_KEY": "${" + KEY_ENV + "}"},
        "options": {"litellm_model": f"openai/{model}", "api_base": f"{base_url}/v1", "env_key": KEY_ENV},
        "pool": pool,
        "stall_seconds": 60,
        "wall_seconds": 120,
    }


def overseer_yaml(base_url: str) -> str:
    """The config text for a scripted model server at ``base_url`` (``http://127.0.0.1:PORT``)."""
    config = {
        "providers": {
            SMALL: {"kind": "local", "pool": 2},
            LARGE: {"kind": "local", "pool": 2, "windows": [{"limit": 50, "unit": "runs", "length": "5h"}], "buffer_percent": 10},
        },
        "profiles": {SMALL: _profile(SMALL_MODEL, SMALL, base_url, 2), LARGE: _profile(LARGE_MODEL, LARGE, base_url, 2)},
        "routing": {
            "rules": [{"when": {"work_type": "review"}, "chain": [LARGE]}, {"chain": [SMALL]}],
            "cascade": [SMALL, LARGE],
        },
        "runtime": {"max_parallel": 2, "tick_seconds": 1, "heartbeat_seconds": 2},
        "verify": {"stages": ["diff", "static", "secrets", "tests", "review"], "tests": {"timeout_seconds": 120}},
        "landing": {"epic_approval": True, "epic_review": True},
        "audit": {"test_timeout_seconds": 120},
    }
    return HEADER + yaml.safe_dump(config, sort_keys=False, width=120)
