"""Skills: markdown disciplines (tdd, review, debug, spec, retrospective, and the project's own) run as one model call.

``Catalog`` loads them (built-ins shipped in ``disciplines/``, the project's folder over them); ``SkillRunner`` sends one
through the ``ModelGateway`` port with the shared protocol, relevant knowledge and the session's history, strips the
JSON small models append, and records the call. Service level: no adapter is imported here (bootstrap wires them).
"""

from overseer.skills.catalog import Catalog, Skill, parse_skill
from overseer.skills.history import CALLED, FAILED, EventLogHistory, PastCall, SessionHistory, render_history
from overseer.skills.proposals import ProposedKnowledge, proposed_knowledge
from overseer.skills.runner import Record, Relevant, SkillResult, SkillRunner
from overseer.skills.trailing import split_trailing_json, strip_trailing_json

__all__ = [
    "CALLED",
    "FAILED",
    "Catalog",
    "EventLogHistory",
    "PastCall",
    "ProposedKnowledge",
    "Record",
    "Relevant",
    "SessionHistory",
    "Skill",
    "SkillResult",
    "SkillRunner",
    "parse_skill",
    "proposed_knowledge",
    "render_history",
    "split_trailing_json",
    "strip_trailing_json",
]
