"""What checking a change produces — findings, stage results, a verdict — shared by the verification pipeline
(a run's worktree before it lands) and the commit auditor (new commits of a repository).

A stage (diff sanity, static checks, secret scan, tests, coverage, LLM review) yields one ``StageResult``: a status
and severity-ranked ``Finding``s with file:line. ``verdict_for`` turns the results into one ``Verdict``:

    approved        nothing found, or only INFO
    approved_minor  only MEDIUM or LOW findings: lands, the findings are kept
    needs_changes   a stage failed, timed out, or found something HIGH or CRITICAL: retried with the findings as feedback
    needs_guidance  a stage could not judge (ERROR: a tool that broke, a review reply that cannot be parsed) or the
                    reviewer asked for a person: the task waits in ``awaiting_approval``

An ERROR is never a pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    CRITICAL = "critical"   # a secret, a build break, data-loss risk: blocking, at once
    HIGH = "high"           # a test failure, a logic error, a regression: blocking
    MEDIUM = "medium"       # lint, coverage drop, style: batched
    LOW = "low"             # logged only
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r} (severities: {', '.join(s.value for s in cls)})") from None


_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class StageStatus(str, Enum):
    PASSED = "passed"
    FAILED = "failed"      # the stage judged the change and it fails (blocking findings, failing tests)
    TIMEOUT = "timeout"    # the check was killed at its timeout (reported TIMEOUT)
    ERROR = "error"        # the stage could not judge: never a pass
    SKIPPED = "skipped"    # not configured, tool absent, or an earlier blocking stage failed


class Verdict(str, Enum):
    APPROVED = "approved"
    APPROVED_MINOR = "approved_minor"
    NEEDS_CHANGES = "needs_changes"
    NEEDS_GUIDANCE = "needs_guidance"

    @property
    def lands(self) -> bool:
        return self in (Verdict.APPROVED, Verdict.APPROVED_MINOR)

    @property
    def rank(self) -> int:
        return list(Verdict).index(self)


@dataclass(frozen=True)
class Finding:
    stage: str
    severity: Severity
    type: str              # SECRET_EXPOSURE, TEST_FAILURE, LINT, SECURITY, DIFF_SIZE, BINARY_FILE, PATH_NOT_ALLOWED, REVIEW, ...
    message: str
    file: str | None = None
    line: int | None = None
    rule: str | None = None          # the tool's own rule id (ruff E501, bandit B105, detect-secrets plugin)
    remediation: str | None = None

    @property
    def where(self) -> str:
        if self.file is None:
            return "-"
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "severity": self.severity.value, "type": self.type, "message": self.message, "file": self.file,
                "line": self.line, "rule": self.rule, "remediation": self.remediation}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(stage=str(data.get("stage", "")), severity=Severity.parse(data.get("severity", "info")), type=str(data.get("type", "")),
                   message=str(data.get("message", "")), file=data.get("file"), line=data.get("line"), rule=data.get("rule"),
                   remediation=data.get("remediation"))


@dataclass(frozen=True)
class StageResult:
    stage: str
    status: StageStatus
    findings: tuple[Finding, ...] = ()
    duration_s: float = 0.0
    detail: str = ""                        # one line: what ran and what it said ("12 passed, 1 failed in 0.4s")
    tools: Mapping[str, str] = field(default_factory=dict)   # tool -> version
    metrics: Mapping[str, float] = field(default_factory=dict)  # coverage, test_pass_rate, ...
    verdict: Verdict | None = None          # a stage that judges as a whole (the LLM review) may ask for one

    @property
    def blocks(self) -> bool:
        return self.status in (StageStatus.FAILED, StageStatus.TIMEOUT, StageStatus.ERROR)

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "status": self.status.value, "findings": [f.to_dict() for f in self.findings],
                "duration_s": round(self.duration_s, 3), "detail": self.detail, "tools": dict(self.tools), "metrics": dict(self.metrics),
                "verdict": self.verdict.value if self.verdict else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageResult:
        return cls(stage=str(data["stage"]), status=StageStatus(data["status"]),
                   findings=tuple(Finding.from_dict(f) for f in data.get("findings") or ()),
                   duration_s=float(data.get("duration_s") or 0.0),
                   detail=str(data.get("detail") or ""), tools=dict(data.get("tools") or {}), metrics=dict(data.get("metrics") or {}),
                   verdict=Verdict(data["verdict"]) if data.get("verdict") else None)


def worst(findings: Sequence[Finding]) -> Severity | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def verdict_for(results: Sequence[StageResult]) -> Verdict:
    """The verdict over every stage that ran (see the module docstring)."""
    verdict = Verdict.APPROVED
    for r in results:
        v = _stage_verdict(r)
        if v.rank > verdict.rank:
            verdict = v
    return verdict


def _stage_verdict(r: StageResult) -> Verdict:
    if r.status == StageStatus.ERROR:
        return Verdict.NEEDS_GUIDANCE
    found = worst(r.findings)
    v = Verdict.APPROVED
    if r.status in (StageStatus.FAILED, StageStatus.TIMEOUT) or (found is not None and found.at_least(Severity.HIGH)):
        v = Verdict.NEEDS_CHANGES
    elif found is not None and found.at_least(Severity.LOW):
        v = Verdict.APPROVED_MINOR
    if r.verdict is not None and r.verdict.rank > v.rank:
        v = r.verdict
    return v


def feedback_lines(results: Sequence[StageResult], *, limit: int = 20) -> list[str]:
    """What an agent reads on its next attempt: the failing stages and the worst findings first, with file:line."""
    lines = [f"verification stage {r.stage} {r.status.value}: {r.detail}" for r in results if r.blocks and r.detail]
    found = sorted((f for r in results for f in r.findings), key=lambda f: -f.severity.rank)
    for f in found[:limit]:
        fix = f" — {f.remediation}" if f.remediation else ""
        lines.append(f"[{f.severity.value.upper()}] {f.where}: {f.message}{fix}")
    return lines
