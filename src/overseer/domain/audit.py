"""The commit auditor's values: its visible state machine, the report of one audited commit, and the rules that turn
stage findings into report issues (ids, audit severity, security score, fingerprints for "never twice").

    IDLE -> DETECTED_CHANGE -> AUDITING -> TESTING -> VERIFYING -> REPORTING -> COMMUNICATING -> WAIT_FOR_FIX | IDLE
                                    \\-> REPORTING (a CRITICAL static or secret finding: the tests are not worth running)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from overseer.domain.verification import Finding, Severity, StageResult, StageStatus


class AuditState(str, Enum):
    IDLE = "IDLE"
    DETECTED_CHANGE = "DETECTED_CHANGE"
    AUDITING = "AUDITING"
    TESTING = "TESTING"
    VERIFYING = "VERIFYING"
    REPORTING = "REPORTING"
    COMMUNICATING = "COMMUNICATING"
    WAIT_FOR_FIX = "WAIT_FOR_FIX"


AUDIT_MOVES: dict[AuditState, frozenset[AuditState]] = {
    AuditState.IDLE: frozenset({AuditState.DETECTED_CHANGE}),
    AuditState.DETECTED_CHANGE: frozenset({AuditState.AUDITING, AuditState.IDLE}),
    AuditState.AUDITING: frozenset({AuditState.TESTING, AuditState.REPORTING}),
    AuditState.TESTING: frozenset({AuditState.VERIFYING}),
    AuditState.VERIFYING: frozenset({AuditState.REPORTING}),
    AuditState.REPORTING: frozenset({AuditState.COMMUNICATING}),
    AuditState.COMMUNICATING: frozenset({AuditState.WAIT_FOR_FIX, AuditState.IDLE}),
    AuditState.WAIT_FOR_FIX: frozenset({AuditState.DETECTED_CHANGE, AuditState.IDLE}),
}

# report issue id prefixes by finding type
PREFIX = {"SECRET_EXPOSURE": "SEC", "TEST_FAILURE": "TST", "TEST_TIMEOUT": "TST", "COVERAGE": "COV", "COVERAGE_DROP": "COV",
          "LINT": "LNT", "SECURITY": "SAST"}
# what the auditor makes of a finding type, whatever severity its tool gave: a secret is always critical
AUDIT_SEVERITY = {"SECRET_EXPOSURE": Severity.CRITICAL, "TEST_FAILURE": Severity.HIGH, "TEST_TIMEOUT": Severity.HIGH}


@dataclass(frozen=True)
class Commit:
    sha: str
    message: str
    parents: tuple[str, ...] = ()

    @property
    def skipped(self) -> bool:
        return "[skip-audit]" in self.message

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class Issue:
    id: str
    severity: Severity
    type: str
    file: str | None
    line: int | None
    description: str
    stage: str
    rule: str | None = None
    remediation: str | None = None
    commit: str | None = None       # the commit that brought it in, when the auditor can tell
    fingerprint: str = ""
    new: bool = True                # False: reported on an earlier commit and still there

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity.value.upper(), "type": self.type, "file": self.file, "line": self.line,
                "description": self.description, "stage": self.stage, "rule": self.rule, "remediation": self.remediation,
                "commit": self.commit, "fingerprint": self.fingerprint, "new": self.new}


@dataclass(frozen=True)
class AuditReport:
    timestamp: str
    commit_hash: str
    status: str                                  # PASS | FAIL
    metrics: Mapping[str, Any]                   # coverage, test_pass_rate, security_score
    issues: tuple[Issue, ...]
    stages: tuple[StageResult, ...] = ()
    commits: tuple[str, ...] = ()                # the commits this audit covers, oldest first
    skipped: tuple[str, ...] = ()                # covered commits whose message says [skip-audit]
    base: str | None = None
    resolved: tuple[str, ...] = ()               # fingerprints of earlier findings now gone
    tools: Mapping[str, str] = field(default_factory=dict)

    @property
    def critical(self) -> bool:
        return any(i.severity == Severity.CRITICAL for i in self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp, "commit_hash": self.commit_hash, "status": self.status, "metrics": dict(self.metrics),
                "issues": [i.to_dict() for i in self.issues], "base": self.base, "commits": list(self.commits),
                "skipped_commits": list(self.skipped), "resolved": list(self.resolved), "tools": dict(self.tools),
                "stages": [{"stage": s.stage, "status": s.status.value, "duration_s": round(s.duration_s, 3), "detail": s.detail,
                            "findings": len(s.findings)} for s in self.stages]}


def fingerprint(f: Finding) -> str:
    """Stable across commits: the same problem in the same file keeps its print when lines move (numbers are left out)."""
    text = re.sub(r"\d+", "#", f.message)
    return hashlib.sha256(f"{f.type}\0{f.file}\0{f.rule}\0{text}".encode()).hexdigest()[:16]


def audit_severity(f: Finding) -> Severity:
    """The auditor's severity: secrets are CRITICAL, a syntax error (a build break) is CRITICAL, tests failing are HIGH."""
    if f.rule == "invalid-syntax" or (f.rule or "").startswith("E9"):
        return Severity.CRITICAL
    floor = AUDIT_SEVERITY.get(f.type)
    return floor if floor is not None and floor.rank > f.severity.rank else f.severity


def security_score(issues: Sequence[Issue]) -> str:
    """A (nothing) .. F (a CRITICAL security issue), over secrets and security findings only."""
    worst = max((i.severity.rank for i in issues if i.type in ("SECRET_EXPOSURE", "SECURITY")), default=-1)
    return {-1: "A", 0: "A", 1: "B", 2: "C", 3: "D", 4: "F"}[worst]


def number_issues(found: Sequence[tuple[Finding, str | None]], known: Mapping[str, str]) -> list[Issue]:
    """Report issues, worst first, numbered per prefix (SEC-001, TST-001, ...). ``known`` maps the fingerprints of
    findings reported earlier (and not resolved) to their ids, which they keep."""
    ordered = sorted(found, key=lambda pair: (-audit_severity(pair[0]).rank, pair[0].file or "", pair[0].line or 0))
    counters: dict[str, int] = {}
    issues: list[Issue] = []
    for f, commit in ordered:
        prefix = PREFIX.get(f.type, f.type[:4].upper() or "GEN")
        counters[prefix] = counters.get(prefix, 0) + 1
        fp = fingerprint(f)
        issues.append(Issue(id=known.get(fp) or f"{prefix}-{counters[prefix]:03d}", severity=audit_severity(f), type=f.type, file=f.file,
                            line=f.line, description=f.message, stage=f.stage, rule=f.rule, remediation=f.remediation, commit=commit,
                            fingerprint=fp, new=fp not in known))
    return issues


def report_status(issues: Sequence[Issue], stages: Sequence[StageResult], fail_at: Severity) -> str:
    broken = any(s.status in (StageStatus.ERROR, StageStatus.TIMEOUT) for s in stages)
    return "FAIL" if broken or any(i.severity.at_least(fail_at) for i in issues) else "PASS"
