"""Named SQL for the graph queries that SQLAlchemy Core would only obscure. Portable SQLite/PostgreSQL.

Readiness (``domain.graph`` is the reference): a task is *blocked* when it, or one of its parent-child
ancestors (transitively), has a ``blocks`` dependency on an existing task that is not done/deleted.
A task is *ready* when it is claimable (open, or claimed with a lease that ran out), of a work kind,
not held and not blocked; ready work is ordered by priority, created_at, id.

Two shapes of the same rule, each fast where it is used (``bench/graph.py`` measures them):

* ``READY`` lists every ready task: it computes the blocked set once, top-down from the blocking
  edges, and anti-joins the candidates against it.
* ``NEXT_READY`` / ``NEXT_READY_PG`` want the first ready task only: they walk the candidates in
  ready order on ``ix_tasks_claimable`` and test each one by walking *up* from it, so a claim costs
  the few rows it looks at, not the size of the graph.
"""

from __future__ import annotations

from overseer.domain.enums import WORK_KINDS
from overseer.domain.graph import RESOLVED_STATUSES
from overseer.store.sql.schema import CLAIMABLE_WHERE

_work_kinds = ", ".join(f"'{k}'" for k in sorted(WORK_KINDS))
_resolved = ", ".join(f"'{s.value}'" for s in sorted(RESOLVED_STATUSES, key=lambda s: s.value))

#: Claimable work that is not held, as candidate rows of ``tasks t``. The first line restates the predicate
#: of the partial index ``ix_tasks_claimable`` (``schema.CLAIMABLE_WHERE``) word for word, as SQLite needs to
#: use that index; the second narrows ``claimed`` to expired leases. Together they mean
#: ``(status = 'open' OR (status = 'claimed' AND lease_expires_at < :now)) AND hold IS NULL``.
_CLAIMABLE_T = "t.status IN ('claimed', 'open') AND t.hold IS NULL"
assert _CLAIMABLE_T.replace("t.", "") == CLAIMABLE_WHERE, "keep the query's words equal to the index predicate"
_CANDIDATE = f"""{_CLAIMABLE_T}
   AND (t.status = 'open' OR t.lease_expires_at < :now)
   AND t.kind IN ({_work_kinds})"""

_ORDER = "ORDER BY t.priority, t.created_at, t.id"

#: Ids blocked by an unresolved ``blocks`` target (dangling targets do not join), and everything
#: under a blocked parent through ``parent-child`` edges. UNION (not UNION ALL) ends loops.
BLOCKED_CTE = f"""
WITH RECURSIVE blocked(id) AS (
    SELECT d.task_id FROM deps d JOIN tasks b ON b.id = d.depends_on
     WHERE d.type = 'blocks' AND b.status NOT IN ({_resolved})
    UNION
    SELECT d.task_id FROM deps d JOIN blocked p ON d.depends_on = p.id
     WHERE d.type = 'parent-child'
)"""


def _up_blocked(start: str) -> str:
    """SQL selecting a row when ``start`` or one of its parent-child ancestors has an unresolved ``blocks`` target.

    The EXISTS per ancestor (rather than a join against the walk) keeps SQLite on the deps primary key
    instead of an automatic index it would build, over all of deps, on every run.
    """
    return f"""WITH RECURSIVE up(id) AS (
        SELECT {start}
        UNION
        SELECT d.depends_on FROM deps d JOIN up u ON d.task_id = u.id WHERE d.type = 'parent-child'
    )
    SELECT 1 FROM up u
     WHERE EXISTS (SELECT 1 FROM deps d JOIN tasks b ON b.id = d.depends_on
                    WHERE d.task_id = u.id AND d.type = 'blocks' AND b.status NOT IN ({_resolved}))"""


#: NOT EXISTS, not NOT IN: PostgreSQL plans ``NOT IN (SELECT ...)`` over a CTE it expects to be large as a
#: plain subplan, a scan of the blocked set per candidate (15 s at 100,000 tasks); NOT EXISTS is a hash anti-join.
READY = f"""{BLOCKED_CTE}
SELECT t.* FROM tasks t
 WHERE {_CANDIDATE}
   AND NOT EXISTS (SELECT 1 FROM blocked bl WHERE bl.id = t.id)
 {_ORDER}"""

#: One task: is it blocked? Walks up from :id only, so it costs the depth of the task, not the graph.
IS_BLOCKED = f"""{_up_blocked("CAST(:id AS VARCHAR(64))")}
 LIMIT 1"""

_NEXT_WHERE = f"""{_CANDIDATE}
   AND NOT EXISTS ({_up_blocked("t.id")})"""

#: PostgreSQL: the top ready id, skipping rows other claimers hold, so racing claimers never queue on one row.
NEXT_READY_PG = f"""SELECT t.id FROM tasks t
 WHERE {_NEXT_WHERE}
 {_ORDER}
 LIMIT 1 FOR UPDATE OF t SKIP LOCKED"""

#: SQLite: the top ready id. ``INDEXED BY`` pins the ordered walk: without statistics the planner would rather
#: collect and sort every candidate (~120 ms at 100,000 tasks instead of ~0.05 ms). Do not ANALYZE the SQLite
#: database (nor ``PRAGMA optimize``): with sqlite_stat1, SQLite 3.40 builds a Bloom filter over all of deps
#: inside each upward walk, ~4 ms a claim at 100,000 tasks.
NEXT_READY = f"""SELECT t.id FROM tasks t INDEXED BY ix_tasks_claimable
 WHERE {_NEXT_WHERE}
 {_ORDER}
 LIMIT 1"""

#: The conditional UPDATE that makes a claim atomic: it only matches while the task is still claimable.
CLAIM = """
UPDATE tasks SET status = 'claimed', claimed_by = :worker, lease_expires_at = :expires,
       updated_at = :now, version = version + 1
 WHERE id = :id AND (status = 'open' OR (status = 'claimed' AND lease_expires_at < :now))"""

HEARTBEAT = """
UPDATE tasks SET lease_expires_at = :expires
 WHERE id = :id AND claimed_by = :worker AND status IN ('claimed', 'running', 'verifying')"""

#: Everything reachable from :start through gating edges (what :start waits on, transitively).
REACHABLE = """
WITH RECURSIVE reach(id) AS (
    SELECT CAST(:start AS VARCHAR(64))
    UNION
    SELECT d.depends_on FROM deps d JOIN reach r ON d.task_id = r.id
     WHERE d.type IN ('blocks', 'parent-child')
)
SELECT id FROM reach"""

_TAKE = """SET status = 'claimed', claimed_by = :worker, lease_expires_at = :expires, updated_at = :now, version = tasks.version + 1"""

#: ``claim_next`` in one statement: pick the top ready row and claim it, returning the claimed row.
#: SQLite: writers are serialised (BEGIN IMMEDIATE), so the picked row cannot change before the UPDATE.
CLAIM_NEXT = f"""UPDATE tasks {_TAKE}
 WHERE id = ({NEXT_READY})
RETURNING *"""

#: PostgreSQL: the picked row is locked (SKIP LOCKED) and re-checked against the claimable test when locked,
#: so a row another transaction claimed meanwhile is never taken twice.
CLAIM_NEXT_PG = f"""WITH pick AS ({NEXT_READY_PG})
UPDATE tasks {_TAKE}
  FROM pick WHERE tasks.id = pick.id
RETURNING tasks.*"""

#: The first :limit ready tasks, by the same ordered walk as ``NEXT_READY``: what the supervisor asks for on every
#: dispatch, costing the rows it looks at rather than the size of the graph (``READY`` computes the whole set).
READY_TOP = f"""SELECT t.* FROM tasks t INDEXED BY ix_tasks_claimable
 WHERE {_NEXT_WHERE}
 {_ORDER}
 LIMIT :limit"""

READY_TOP_PG = f"""SELECT t.* FROM tasks t
 WHERE {_NEXT_WHERE}
 {_ORDER}
 LIMIT :limit"""
