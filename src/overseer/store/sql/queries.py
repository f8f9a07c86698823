"""Named SQL for the graph queries that SQLAlchemy Core would only obscure. Portable SQLite/PostgreSQL."""

from __future__ import annotations

from overseer.domain.enums import WORK_KINDS
from overseer.domain.graph import RESOLVED_STATUSES

_work_kinds = ", ".join(f"'{k}'" for k in sorted(WORK_KINDS))
_resolved = ", ".join(f"'{s.value}'" for s in sorted(RESOLVED_STATUSES, key=lambda s: s.value))

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

_CLAIMABLE = "(t.status = 'open' OR (t.status = 'claimed' AND t.lease_expires_at < :now))"

READY = f"""{BLOCKED_CTE}
SELECT t.* FROM tasks t
 WHERE {_CLAIMABLE}
   AND t.kind IN ({_work_kinds})
   AND t.hold IS NULL
   AND t.id NOT IN (SELECT id FROM blocked)
 ORDER BY t.priority, t.created_at, t.id"""

IS_BLOCKED = f"""{BLOCKED_CTE}
SELECT 1 FROM blocked WHERE id = :id"""

#: PostgreSQL: the top ready row, skipping rows other claimers hold, so racing claimers never queue on one row.
NEXT_READY_PG = f"""{READY}
 LIMIT 1 FOR UPDATE OF t SKIP LOCKED"""

NEXT_READY = f"""{READY}
 LIMIT 1"""

#: The conditional UPDATE that makes a claim atomic: it only matches while the task is still claimable.
CLAIM = f"""
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
