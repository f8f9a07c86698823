"""``SqlStore``: the task graph on SQLite or PostgreSQL through SQLAlchemy Core.

Every public method that changes state runs in one transaction that also appends its events,
so a refusal (an exception) leaves the database as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from overseer.domain import (
    ClaimError,
    CycleError,
    Dependency,
    DependencyError,
    Event,
    EventKind,
    Task,
    TaskNotFound,
    TaskStatus,
    ValidationError,
    utcnow,
)
from overseer.domain.changes import apply_changes
from overseer.domain.enums import DepType, is_work_kind
from overseer.domain.graph import ROLLUP_REASON, epic_complete, epic_rollup, find_cycle, is_claimable
from overseer.domain.runs import Run
from overseer.domain.transitions import apply_status
from overseer.ports import ImportSummary, TaskQuery
from overseer.store.query import matches
from overseer.store.sql import queries as q
from overseer.store.sql.engine import make_engine, migrate
from overseer.store.sql.knowledge import KnowledgeMixin
from overseer.store.sql.ledger import LedgerMixin
from overseer.store.sql.rows import dep_from_row, dep_to_row, event_from_row, task_from_row, task_to_row, to_micros
from overseer.store.sql.runs import RunsMixin
from overseer.store.sql.schema import deps, events, tasks

_CHUNK = 500


class SqlStore(RunsMixin, LedgerMixin, KnowledgeMixin):
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow, *, auto_migrate: bool = True) -> None:
        self._engine = engine
        self._clock = clock
        self._pg = engine.dialect.name == "postgresql"
        self._watch_lock = threading.Lock()
        self._watch_conn: Any = None  # see last_event_seq
        if auto_migrate:
            migrate(engine)

    @classmethod
    def from_url(cls, url: str, clock: Callable[[], datetime] = utcnow) -> SqlStore:
        return cls(make_engine(url), clock)

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- plumbing --------------------------------------------------------------------------------
    def _load(self, conn: Connection, task_id: str, *, lock: bool = False) -> Task:
        stmt = sa.select(tasks).where(tasks.c.id == task_id)
        if lock and self._pg:
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).mappings().first()
        if row is None:
            raise TaskNotFound(task_id)
        return task_from_row(row)

    def _save(self, conn: Connection, task: Task) -> None:
        row = task_to_row(task)
        conn.execute(tasks.update().where(tasks.c.id == task.id).values(**{k: v for k, v in row.items() if k != "id"}))

    def _exists(self, conn: Connection, task_id: str) -> bool:
        return conn.execute(sa.select(tasks.c.id).where(tasks.c.id == task_id)).first() is not None

    # -- tasks -----------------------------------------------------------------------------------
    def add_task(self, task: Task, deps_: Sequence[Dependency] = (), *, actor: str) -> Task:
        with self._write() as conn:
            if self._exists(conn, task.id):
                raise ValidationError("id", f"a task with id {task.id!r} already exists")
            conn.execute(tasks.insert(), task_to_row(task))
            self._log(conn, EventKind.TASK_CREATED, task.id, actor, {"title": task.title, "kind": task.kind})
            for dep in deps_:
                self._insert_dep(conn, dep, actor)
        return task

    def get_task(self, task_id: str) -> Task:
        with self._read() as conn:
            return self._load(conn, task_id)

    def _where(self, stmt: Any, query: TaskQuery) -> Any:
        """``stmt`` narrowed by every filter of ``query`` that SQL can test portably (labels live in JSON: not here)."""
        if query.statuses is not None:
            stmt = stmt.where(tasks.c.status.in_([s.value for s in query.statuses]))
        elif not query.include_deleted:
            stmt = stmt.where(tasks.c.status != TaskStatus.DELETED.value)
        if query.kind is not None:
            stmt = stmt.where(tasks.c.kind == query.kind)
        if query.held is not None:
            stmt = stmt.where(tasks.c.hold.is_not(None) if query.held else tasks.c.hold.is_(None))
        if query.parent is not None:
            children = sa.select(deps.c.task_id).where(deps.c.type == DepType.PARENT_CHILD.value, deps.c.depends_on == query.parent)
            stmt = stmt.where(tasks.c.id.in_(children))
        return stmt

    def list_tasks(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        stmt = self._where(sa.select(tasks), query).order_by(tasks.c.priority, tasks.c.created_at, tasks.c.id)
        if query.label is None:  # the page is cut in SQL; with a label filter, after it (in Python)
            stmt = stmt.offset(query.offset) if query.offset else stmt
            stmt = stmt.limit(query.limit) if query.limit is not None else stmt
        with self._read() as conn:
            found = [task_from_row(r) for r in conn.execute(stmt).mappings()]
        if query.label is None:
            return found
        found = [t for t in found if matches(t, query)]
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset : end]

    def count_tasks(self, query: TaskQuery = TaskQuery()) -> int:
        if query.label is not None:
            stmt = self._where(sa.select(tasks.c.labels), query)
            with self._read() as conn:
                return sum(1 for labels in conn.execute(stmt).scalars() if query.label in (labels or ()))
        with self._read() as conn:
            return int(conn.execute(self._where(sa.select(sa.func.count()).select_from(tasks), query)).scalar_one())

    def status_counts(self) -> dict[str, int]:
        stmt = (sa.select(tasks.c.status, sa.func.count()).where(tasks.c.status != TaskStatus.DELETED.value)
                .group_by(tasks.c.status))
        with self._read() as conn:
            return {status: int(n) for status, n in conn.execute(stmt).all()}

    def update_task(self, task_id: str, changes: Mapping[str, Any], *, actor: str) -> Task:
        with self._write() as conn:
            task = apply_changes(self._load(conn, task_id, lock=True), changes, self._clock())
            self._save(conn, task)
            self._log(conn, EventKind.TASK_UPDATED, task_id, actor, {"fields": sorted(changes)})
            return task

    def set_status(self, task_id: str, status: TaskStatus, *, actor: str, reason: str | None = None,
                   changes: Mapping[str, Any] | None = None) -> Task:
        with self._write() as conn:
            before = self._load(conn, task_id, lock=True)
            task = apply_status(apply_changes(before, changes, self._clock()) if changes else before, status, self._clock(), reason)
            self._save(conn, task)
            self._log(conn, EventKind.TASK_STATUS, task_id, actor, {"from": before.status.value, "to": status.value, "reason": reason})
            if status in (TaskStatus.DONE, TaskStatus.DELETED):  # a deleted child no longer holds its epic open
                self._roll_up(conn, task_id, actor)
            return task

    def _roll_up(self, conn: Connection, task_id: str, actor: str) -> None:
        """Close every epic above ``task_id`` whose children are now all done."""
        parents = conn.execute(
            sa.select(deps.c.depends_on).where(deps.c.task_id == task_id, deps.c.type == DepType.PARENT_CHILD.value)
        ).scalars().all()
        for pid in parents:
            try:
                parent = self._load(conn, pid, lock=True)
            except TaskNotFound:
                continue
            target = epic_rollup(parent) if parent.is_epic else None
            if target is None:
                continue
            kid_ids = sa.select(deps.c.task_id).where(deps.c.depends_on == pid, deps.c.type == DepType.PARENT_CHILD.value)
            kids = [task_from_row(r) for r in conn.execute(sa.select(tasks).where(tasks.c.id.in_(kid_ids))).mappings()]
            if epic_complete(kids):
                self._save(conn, apply_status(parent, target, self._clock(), ROLLUP_REASON[target]))
                done = target == TaskStatus.DONE
                self._log(conn, EventKind.EPIC_CLOSED if done else EventKind.EPIC_COMPLETED, pid, actor, {"children": len(kids)})
                if done:
                    self._roll_up(conn, pid, actor)

    # -- dependencies ----------------------------------------------------------------------------
    def _insert_dep(self, conn: Connection, dep: Dependency, actor: str) -> None:
        for tid in (dep.task_id, dep.depends_on):
            if not self._exists(conn, tid):
                raise TaskNotFound(tid)
        if dep.task_id == dep.depends_on:
            raise DependencyError(f"task {dep.task_id} cannot depend on itself")
        key = sa.and_(deps.c.task_id == dep.task_id, deps.c.depends_on == dep.depends_on, deps.c.type == dep.type)
        if conn.execute(sa.select(deps.c.task_id).where(key)).first() is not None:
            raise DependencyError(f"{dep.task_id} already depends on {dep.depends_on} ({dep.type})")
        if dep.gates:
            self._refuse_cycle(conn, dep)
        conn.execute(deps.insert(), dep_to_row(dep))
        self._log(conn, EventKind.DEP_ADDED, dep.task_id, actor, {"depends_on": dep.depends_on, "type": dep.type})

    def _refuse_cycle(self, conn: Connection, dep: Dependency) -> None:
        reach = set(conn.execute(sa.text(q.REACHABLE), {"start": dep.depends_on}).scalars())
        if dep.task_id not in reach:
            return
        edges = conn.execute(
            sa.select(deps.c.task_id, deps.c.depends_on).where(
                deps.c.task_id.in_(reach), deps.c.type.in_([DepType.BLOCKS.value, DepType.PARENT_CHILD.value])
            )
        ).all()
        path = find_cycle([(a, b) for a, b in edges], (dep.task_id, dep.depends_on))
        raise CycleError(path or [dep.task_id, dep.depends_on, dep.task_id])

    def add_dependency(self, dep: Dependency, *, actor: str) -> Dependency:
        with self._write() as conn:
            self._insert_dep(conn, dep, actor)
        return dep

    def remove_dependency(self, task_id: str, depends_on: str, dep_type: str, *, actor: str) -> None:
        with self._write() as conn:
            gone = conn.execute(
                deps.delete().where(deps.c.task_id == task_id, deps.c.depends_on == depends_on, deps.c.type == dep_type)
            ).rowcount
            if not gone:
                raise DependencyError(f"{task_id} has no {dep_type} dependency on {depends_on}")
            self._log(conn, EventKind.DEP_REMOVED, task_id, actor, {"depends_on": depends_on, "type": dep_type})

    def dependencies(self, task_id: str | None = None) -> list[Dependency]:
        stmt = sa.select(deps).order_by(deps.c.task_id, deps.c.depends_on, deps.c.type)
        if task_id is not None:
            stmt = stmt.where(sa.or_(deps.c.task_id == task_id, deps.c.depends_on == task_id))
        with self._read() as conn:
            return [dep_from_row(r) for r in conn.execute(stmt).mappings()]

    # -- readiness and claims --------------------------------------------------------------------
    def ready(self, limit: int | None = None) -> list[Task]:
        # the whole set is computed once, top-down; the first few by an ordered walk that stops early
        top = q.READY_TOP_PG if self._pg else q.READY_TOP
        sql = q.READY if limit is None else top
        with self._read() as conn:
            rows = conn.execute(sa.text(sql).columns(*tasks.c), {"now": to_micros(self._clock()), "limit": limit}).mappings()
            return [task_from_row(r) for r in rows]

    def _take(self, conn: Connection, task_id: str, worker: str, lease_seconds: float, now: datetime) -> Task | None:
        params = {"id": task_id, "worker": worker, "now": to_micros(now), "expires": to_micros(now + timedelta(seconds=lease_seconds))}
        if conn.execute(sa.text(q.CLAIM), params).rowcount != 1:
            return None
        self._log(conn, EventKind.TASK_CLAIMED, task_id, worker, {"lease_seconds": lease_seconds})
        return self._load(conn, task_id)

    def is_blocked(self, task_id: str) -> bool:
        with self._read() as conn:
            self._load(conn, task_id)
            return conn.execute(sa.text(q.IS_BLOCKED), {"id": task_id}).first() is not None

    def _claim_in(self, conn: Connection, task_id: str, worker: str, lease_seconds: float, now: datetime) -> Task | None:
        task = self._load(conn, task_id)
        if not is_claimable(task, now):
            return None
        blocked = conn.execute(sa.text(q.IS_BLOCKED), {"id": task_id}).first() is not None
        if not is_work_kind(task.kind) or task.hold is not None or blocked:
            raise ClaimError(f"task {task_id} is not ready (blocked, held or not work); see `overseer ready`")
        return self._take(conn, task_id, worker, lease_seconds, now)

    def claim(self, task_id: str, worker: str, lease_seconds: float) -> Task | None:
        with self._write() as conn:
            return self._claim_in(conn, task_id, worker, lease_seconds, self._clock())

    def start_run(self, task_id: str, run: Run, *, worker: str, lease_seconds: float) -> Task | None:
        now = self._clock()
        with self._write() as conn:
            claimed = self._claim_in(conn, task_id, worker, lease_seconds, now)
            if claimed is None:
                return None
            running = apply_status(claimed, TaskStatus.RUNNING, now, f"run {run.id}")
            self._save(conn, running)
            self._log(conn, EventKind.TASK_STATUS, task_id, worker, {"from": "claimed", "to": "running", "reason": f"run {run.id}"})
            self._insert_run(conn, run, worker)
            return running

    def claim_next(self, worker: str, lease_seconds: float) -> Task | None:
        now = self._clock()
        params = {"worker": worker, "now": to_micros(now), "expires": to_micros(now + timedelta(seconds=lease_seconds))}
        with self._write() as conn:
            stmt = sa.text(q.CLAIM_NEXT_PG if self._pg else q.CLAIM_NEXT).columns(*tasks.c)
            row = conn.execute(stmt, params).mappings().first()
            if row is None:
                return None
            self._log(conn, EventKind.TASK_CLAIMED, row["id"], worker, {"lease_seconds": lease_seconds})
            return task_from_row(row)

    def heartbeat(self, task_id: str, worker: str, lease_seconds: float) -> bool:
        expires = to_micros(self._clock() + timedelta(seconds=lease_seconds))
        with self._write() as conn:
            if conn.execute(sa.text(q.HEARTBEAT), {"id": task_id, "worker": worker, "expires": expires}).rowcount == 1:
                return True
            if not self._exists(conn, task_id):
                raise TaskNotFound(task_id)
            return False

    def release(self, task_id: str, worker: str, *, actor: str) -> Task:
        with self._write() as conn:
            task = self._load(conn, task_id, lock=True)
            if task.status != TaskStatus.CLAIMED or task.claimed_by != worker:
                raise ClaimError(f"task {task_id} is not claimed by {worker} (status {task.status.value}, holder {task.claimed_by})")
            freed = apply_status(task, TaskStatus.OPEN, self._clock())
            self._save(conn, freed)
            self._log(conn, EventKind.TASK_RELEASED, task_id, actor, {"worker": worker})
            return freed

    # -- events, import --------------------------------------------------------------------------
    def events(self, after_seq: int = 0, limit: int = 100, task_id: str | None = None) -> list[Event]:
        stmt = sa.select(events).where(events.c.seq > after_seq).order_by(events.c.seq).limit(limit)
        if task_id is not None:
            stmt = stmt.where(events.c.task_id == task_id)
        with self._read() as conn:
            return [event_from_row(r) for r in conn.execute(stmt).mappings()]

    def record_event(self, kind: str, *, actor: str, task_id: str | None = None, run_id: str | None = None,
                     data: Mapping[str, Any] | None = None) -> None:
        with self._write() as conn:
            self._log(conn, kind, task_id, actor, data, run_id=run_id)

    def last_event_seq(self) -> int:
        """Polled many times a second by the supervisor, so it skips the pool and SQLAlchemy: one autocommit DBAPI
        connection kept for this alone (each SELECT sees the latest commit, and no transaction stays open)."""
        with self._watch_lock:
            if self._watch_conn is None:
                raw = self._engine.raw_connection()
                if self._pg:
                    raw.driver_connection.autocommit = True  # type: ignore[union-attr]
                self._watch_conn = raw
            cursor = self._watch_conn.cursor()
            try:
                cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM events")
                return int(cursor.fetchone()[0])
            finally:
                cursor.close()

    def import_graph(self, tasks_: Sequence[Task], deps_: Sequence[Dependency], *, actor: str) -> ImportSummary:
        ids = [t.id for t in tasks_]
        with self._write() as conn:
            existing: set[str] = set()
            for i in range(0, len(ids), _CHUNK):
                existing.update(conn.execute(sa.select(tasks.c.id).where(tasks.c.id.in_(ids[i : i + _CHUNK]))).scalars())
            new_rows = [task_to_row(t) for t in tasks_ if t.id not in existing]
            if new_rows:
                conn.execute(tasks.insert(), new_rows)
            for t in tasks_:
                if t.id in existing:
                    self._save(conn, t)
            old_keys = {tuple(r) for r in conn.execute(sa.select(deps.c.task_id, deps.c.depends_on, deps.c.type)).all()}
            fresh = {d.key: d for d in deps_ if d.key not in old_keys}
            if fresh:
                conn.execute(deps.insert(), [dep_to_row(d) for d in fresh.values()])
            gating = conn.execute(
                sa.select(deps.c.task_id, deps.c.depends_on).where(deps.c.type.in_([DepType.BLOCKS.value, DepType.PARENT_CHILD.value]))
            ).all()
            cycle = find_cycle([(a, b) for a, b in gating])
            if cycle:
                raise CycleError(cycle)
            summary = ImportSummary(created=len(new_rows), updated=len(existing), dependencies=len(fresh))
            self._log(conn, EventKind.IMPORTED, None, actor, summary.counts())
            return summary

    def close(self) -> None:
        if self._watch_conn is not None:
            self._watch_conn.close()
            self._watch_conn = None
        self._engine.dispose()
