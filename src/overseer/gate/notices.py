"""Telling people: every notice goes through the configured notifier and into the event log (sent or failed), and a
summary of the last day is one notice like any other."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from overseer.domain import TaskStatus, utcnow
from overseer.ports import Notice, Notifier, TaskQuery
from overseer.service import Supervisor

SUMMARY_EVENTS = {"run.landed": "landed", "task.escalated": "escalated", "run.verified": "verified", "run.finished": "runs finished",
                  "epic.merged": "epics merged", "provider.parked": "providers parked"}


class Notices:
    def __init__(self, sup: Supervisor, notifier: Notifier | None, *, actor: str) -> None:
        self.sup, self.notifier, self.actor = sup, notifier, actor
        self.wanted = frozenset(sup.config.notify.events)

    def send(self, kind: str, title: str, body: str, *, task: str | None = None, run: str | None = None, severity: str = "info") -> bool:
        """Deliver when ``kind`` is wanted; the outcome goes to the event log either way it went."""
        if kind not in self.wanted or self.notifier is None:  # no notify.urls: nobody to tell, nothing to log
            return True
        notice = Notice(kind=kind, title=title, body=body, task_id=task, run_id=run, severity=severity)
        ok = self.notifier.notify(notice)
        self.sup.store.record_event("notice.sent" if ok else "notice.failed", actor=self.actor, task_id=task, run_id=run,
                                    data={"kind": kind, "title": title, "severity": severity})
        return ok

    def summary(self, *, since: datetime | None = None, now: datetime | None = None) -> Notice:
        """What happened since ``since`` (default: the last 24 hours) and what waits for a person now."""
        now = now or utcnow()
        since = since or now - timedelta(days=1)
        counts: Counter[str] = Counter()
        after = 0
        while True:
            batch = self.sup.events(after_seq=after, limit=1000)
            if not batch:
                break
            after = batch[-1].seq
            counts.update(SUMMARY_EVENTS[e.kind] for e in batch if e.at >= since and e.kind in SUMMARY_EVENTS)
        waiting = self.sup.list_tasks(TaskQuery(statuses=(TaskStatus.AWAITING_APPROVAL, TaskStatus.ESCALATED)))
        lines = [f"{name}: {counts[name]}" for name in SUMMARY_EVENTS.values() if counts[name]] or ["nothing happened"]
        if waiting:
            lines.append(f"\n{len(waiting)} waiting for a person:")
            lines += [f"- {t.id} [{t.status.value}] {t.title}" for t in waiting[:20]]
        title = f"Overseer summary since {since.isoformat(timespec='minutes')}"
        return Notice(kind="summary", title=title, body="\n".join(lines), severity="warning" if waiting else "info")

    def send_summary(self, *, since: datetime | None = None) -> tuple[Notice, bool]:
        notice = self.summary(since=since)
        return notice, self.send(notice.kind, notice.title, notice.body, severity=notice.severity)
