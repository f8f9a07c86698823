"""The gate between a finished run and an integration branch: verification verdicts, the merge queue, epic completion,
approval gates and notifications. Policy over ports: it never imports an adapter (``bootstrap`` hands them in)."""

from overseer.gate.approvals import Approval, Approvals, Outcome
from overseer.gate.keeper import Gatekeeper
from overseer.gate.notices import Notices
from overseer.gate.retrospective import Backlog, Retrospective

__all__ = ["Approval", "Approvals", "Backlog", "Gatekeeper", "Notices", "Outcome", "Retrospective"]
