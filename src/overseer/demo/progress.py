"""The demo's progress feed: events from the served API's event log (``GET /api/v1/events``), one line each for what a
person watching wants to see — where each attempt was routed and why, how it ended, the verdict, the landing, the epic."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Mapping
from typing import Any

__all__ = ["ApiClient", "Feed"]

_MARK = {"passed": "✓", "failed": "✗", "error": "✗", "timeout": "✗", "skipped": "-"}


class ApiClient:
    """GET requests to the demo's own server with its token (never through a proxy); counts what it asked."""

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url, self.token, self.timeout = url, token, timeout
        self.requests = 0
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str) -> Any:
        request = urllib.request.Request(self.url + path, headers={"authorization": f"Bearer {self.token}", "accept": "application/json"})
        self.requests += 1
        with self._opener.open(request, timeout=self.timeout) as response:
            return json.loads(response.read())


class Feed:
    """Turns event dicts (as the API serves them) into progress lines; ``names`` gives each task a short name."""

    def __init__(self, names: Mapping[str, str], epic: str) -> None:
        self.names, self.epic = dict(names), epic
        self.after = 0
        self.attempts: Counter[str] = Counter()

    def lines(self, event: Mapping[str, Any]) -> list[str]:
        self.after = max(self.after, int(event.get("seq") or 0))
        kind, data = str(event.get("kind")), event.get("data") or {}
        task = str(event.get("task_id") or "")
        who = "audit" if kind == "audit.reported" else "epic" if task == self.epic else self.names.get(task)
        if who is None:
            return []
        line = self._describe(kind, task, data)
        return [f"{who:<9} {line}"] if line else []

    def _describe(self, kind: str, task: str, data: Mapping[str, Any]) -> str | None:
        if kind == "routing.decided":
            self.attempts[task] += 1
            return f"attempt {self.attempts[task]} → {data.get('profile')}  ({data.get('reason')})"
        if kind == "run.finished":
            return f"agent {data.get('status')} ({data.get('tokens_in')}+{data.get('tokens_out')} tokens)"
        if kind == "verify.stage" and str(data.get("status")) in ("failed", "error", "timeout"):
            findings = data.get("findings") or []
            first = findings[0].get("message") if findings and isinstance(findings[0], dict) else data.get("detail")
            return f"  {data.get('stage')} {data.get('status')}: {first}"
        if kind == "audit.reported":
            return f"the sample's history at {str(data.get('commit'))[:10]}: {data.get('status')}, {data.get('issues')} issue(s)"
        if kind == "run.verified":
            stages = " ".join(f"{s['stage']} {_MARK.get(str(s['status']).lower(), '?')}" for s in data.get("stages", []))
            return f"verified {data.get('verdict')}: {stages}"
        if kind == "run.landed":
            return f"landed on {data.get('target')} at {str(data.get('commit'))[:10]}"
        if kind == "epic.reviewed":
            return f"every task landed; the whole change reviewed: {data.get('verdict')}"
        if kind == "approval.requested" and task == self.epic:
            return "awaiting approval (overseer approve merges it into the base branch)"
        if kind in ("task.escalated", "verify.crashed"):
            return f"{kind}: {data.get('why') or data.get('error')}"
        return None
