"""The commit auditor: audits what was committed since the last commit it checked, in one batch.

HEAD is checked out once (a scratch worktree: the user's checkout is never touched) and tested once; the secret scan
runs on every new commit's own diff (a key added in one commit and deleted in the next is still in the history), the
static checks on every file the new commits changed. A commit whose message says ``[skip-audit]`` is left out, and the
log says so. The last checked commit is persisted only when an audit finished, so a restart neither skips nor repeats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from overseer.audit.inbox import Inbox, Register, read_json, write_atomic
from overseer.config import STATE_DIR
from overseer.domain import TaskKind, utcnow
from overseer.domain.audit import (
    AUDIT_MOVES,
    AuditReport,
    AuditState,
    Commit,
    Issue,
    audit_severity,
    fingerprint,
    number_issues,
    report_status,
    security_score,
)
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus
from overseer.ports import CheckContext, CommitLog, Notice, Notifier, Stage
from overseer.service import NewTask, Supervisor

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree: the "parent" of a root commit
OnState = Callable[[AuditState, str], None]


class Auditor:
    def __init__(self, sup: Supervisor, log: CommitLog, stages: Mapping[str, Stage], *, actor: str,
                 notifier: Notifier | None = None, on_state: OnState | None = None) -> None:
        self.sup, self.log, self.stages, self.actor, self.notifier = sup, log, stages, actor, notifier
        self.config = sup.config.audit
        self.dir = sup.root / STATE_DIR / "audit"
        self.inbox = Inbox(sup.root / self.config.inbox)
        self.on_state = on_state
        self.state = AuditState(self._saved().get("state", AuditState.IDLE.value))
        if self.state not in (AuditState.IDLE, AuditState.WAIT_FOR_FIX):
            self.state = AuditState.IDLE  # an audit a restart cut short: it runs again, from the last checked commit

    # -- what is new ---------------------------------------------------------------------------------------------
    @property
    def last_checked(self) -> str | None:
        value = self._saved().get("last_checked")
        return str(value) if value else None

    def pending(self) -> list[Commit]:
        head = self.log.head()
        if head is None or head == self.last_checked:
            return []
        return self.log.new_commits(self.last_checked, head)

    def audit_new(self) -> AuditReport | None:
        """Audit every commit since the last one checked (HEAD alone the first time); None when nothing is new."""
        commits = self.pending()
        if not commits:
            return None
        report = None
        if all(c.skipped for c in commits):
            self._skip(commits)
        else:
            report = self.audit(commits, base=_parent(commits[0]))
        self._save(last_checked=commits[-1].sha)
        return report

    def audit_since(self, rev: str) -> AuditReport | None:
        """Audit ``rev..HEAD`` once (for CI and hooks); None when the range is empty. The watcher's last checked commit
        is left as it was."""
        base, head = self.log.resolve(rev), self.log.resolve("HEAD")
        commits = self.log.new_commits(base, head) if base != head else []
        if not commits or all(c.skipped for c in commits):
            self._skip(commits)
            return None
        return self.audit(commits, base=base)

    def _skip(self, commits: list[Commit]) -> None:
        """Every new commit says [skip-audit]: nothing is audited, and the log says which were skipped."""
        for c in commits:
            self._event("audit.skipped", {"commit": c.sha, "subject": c.subject})
        if commits:
            self._move(AuditState.DETECTED_CHANGE, f"{len(commits)} new commit(s), all marked [skip-audit]: skipped")
            self._move(AuditState.IDLE, "nothing to audit")

    def audit_uncommitted(self) -> AuditReport | None:
        """Audit the working tree's uncommitted work (a snapshot commit; nothing of the user's is touched), reported as
        ``report_uncommitted.json``; None when the tree is clean."""
        head, snap = self.log.head(), self.log.snapshot()
        if head is None or snap is None:
            return None
        return self.audit([Commit(snap, "uncommitted work", (head,))], base=head, name="uncommitted")

    # -- one audit -----------------------------------------------------------------------------------------------
    def audit(self, commits: list[Commit], *, base: str, name: str | None = None) -> AuditReport:
        head = commits[-1].sha
        skipped = [c for c in commits if c.skipped]
        audited = [c for c in commits if not c.skipped]
        self._move(AuditState.DETECTED_CHANGE, f"{len(commits)} new commit(s) up to {head[:10]}" +
                   (f"; skipping {', '.join(c.sha[:10] for c in skipped)} ([skip-audit])" if skipped else ""))
        for c in skipped:
            self._event("audit.skipped", {"commit": c.sha, "subject": c.subject})
        found: list[tuple[Finding, str | None]] = []
        results: list[StageResult] = []
        files: set[str] = set()
        for c in audited:
            files.update(self.log.changed_files(_parent(c), c.sha))
        with self.log.checkout(head) as tree:
            present = tuple(sorted(f for f in files if (tree / f).is_file()))
            self._move(AuditState.AUDITING, f"secrets in {len(audited)} commit(s), static checks on {len(present)} file(s)")
            if "secrets" in self.config.stages and "secrets" in self.stages:
                results.append(self._secrets(tree, audited, found))
            if "static" in self.config.stages and "static" in self.stages and present:
                results.append(self._run("static", CheckContext(tree, base, head, present), found))
            if any(audit_severity(f) == Severity.CRITICAL for f, _ in found):
                results.append(StageResult("tests", StageStatus.SKIPPED, detail="not run: a critical finding goes straight to the report"))
            else:
                self._move(AuditState.TESTING, f"the tests of {head[:10]}")
                if "tests" in self.config.stages and "tests" in self.stages:
                    results.append(self._run("tests", CheckContext(tree, base, head, present), found))
                self._move(AuditState.VERIFYING, "coverage, pass rate, resolved findings")
            register = Register(self.dir / "findings.json")
            resolved = self._resolved(register, tree, head, present, found, results)
        return self._report(register, head, base, commits, skipped, found, results, resolved, name or head)

    def _secrets(self, tree: Path, audited: list[Commit], found: list[tuple[Finding, str | None]]) -> StageResult:
        """One secret scan per commit, on that commit's own diff; the results folded into one stage result."""
        stage = self.stages["secrets"]
        parts = [stage.run(CheckContext(tree, _parent(c), c.sha)) for c in audited]
        seen: set[tuple[str | None, int | None, str | None]] = set()
        for c, part in zip(audited, parts, strict=True):
            for f in part.findings:
                key = (f.file, f.line, f.rule) if f.file is not None else (None, None, f.message)
                if key not in seen:
                    seen.add(key)
                    found.append((f, c.sha))
        worst = next((s for s in (StageStatus.ERROR, StageStatus.TIMEOUT, StageStatus.FAILED) if any(p.status == s for p in parts)),
                     StageStatus.PASSED)
        tools = {k: v for p in parts for k, v in p.tools.items()}
        notes = "; ".join(sorted({p.detail for p in parts if p.status != StageStatus.PASSED}))[:500]
        return StageResult("secrets", worst, tuple(f for f, _ in found if f.stage == "secrets"), sum(p.duration_s for p in parts),
                           f"{len(audited)} commit(s) scanned" + (f"; {notes}" if notes else ""), tools)

    def _run(self, name: str, ctx: CheckContext, found: list[tuple[Finding, str | None]]) -> StageResult:
        result = self.stages[name].run(ctx)
        found.extend((f, None) for f in result.findings)
        return result

    def _resolved(self, register: Register, tree: Path, head: str, present: tuple[str, ...], found: list[tuple[Finding, str | None]],
                  results: list[StageResult]) -> list[str]:
        """Open findings from earlier audits that this audit looked at again and did not find."""
        now = {fingerprint(f) for f, _ in found}
        ran = {r.stage for r in results if r.status in (StageStatus.PASSED, StageStatus.FAILED)}
        gone: list[str] = []
        secret_files = sorted({str(e["file"]) for e in register.open_entries().values()
                               if e["stage"] == "secrets" and e["file"] in present})
        if secret_files and "secrets" in self.stages:  # a secret still in a changed file is not resolved: scan those files whole
            whole = self.stages["secrets"].run(CheckContext(tree, EMPTY_TREE, head, tuple(secret_files)))
            now |= {fingerprint(f) for f in whole.findings}
        for fp, entry in register.open_entries().items():
            looked = (entry["stage"] == "tests" and "tests" in ran) or (entry["file"] in present and entry["stage"] in ran)
            if looked and fp not in now:
                gone.append(fp)
        return gone

    def _report(self, register: Register, head: str, base: str, commits: list[Commit], skipped: list[Commit],
                found: list[tuple[Finding, str | None]], results: list[StageResult], resolved: list[str], name: str) -> AuditReport:
        tests = next((r for r in results if r.stage == "tests"), None)
        found = [*found, *self._coverage_drop(tests)]
        issues = number_issues(found, register.open_ids())
        metrics = {"coverage": (tests.metrics.get("coverage") if tests else None),
                   "test_pass_rate": (tests.metrics.get("test_pass_rate") if tests else None), "security_score": security_score(issues)}
        report = AuditReport(timestamp=utcnow().isoformat(timespec="seconds"), commit_hash=head,
                             status=report_status(issues, results, Severity.parse(self.config.fail_at)), metrics=metrics,
                             issues=tuple(issues), stages=tuple(results), commits=tuple(c.sha for c in commits),
                             skipped=tuple(c.sha for c in skipped), base=base, resolved=tuple(resolved),
                             tools={k: v for r in results for k, v in r.tools.items()})
        self._move(AuditState.REPORTING, f"{report.status}: {len(issues)} issue(s), security {metrics['security_score']}")
        write_atomic(self.dir / f"report_{name}.json", _json(report.to_dict()))
        self._communicate(report, register)
        self._event("audit.reported", {"commit": head, "status": report.status, "issues": len(issues),
                                       "new": sum(i.new for i in issues), "resolved": len(resolved)})
        self._move(AuditState.WAIT_FOR_FIX if report.status == "FAIL" else AuditState.IDLE,
                   "waiting for a fix" if report.status == "FAIL" else "all clear")
        return report

    def _coverage_drop(self, tests: StageResult | None) -> list[tuple[Finding, str | None]]:
        """A MEDIUM finding when coverage fell by ``audit.coverage_drop`` points or more since the last audit that measured it."""
        now = tests.metrics.get("coverage") if tests is not None else None
        if now is None:
            return []
        before = self._saved().get("coverage")
        self._save(coverage=now)
        if before is None or float(before) - now < self.config.coverage_drop:
            return []
        return [(Finding("tests", Severity.MEDIUM, "COVERAGE_DROP", f"coverage fell from {float(before):.1f}% to {now:.1f}%",
                         remediation="add tests for the code the new commits brought in"), None)]

    def _communicate(self, report: AuditReport, register: Register) -> None:
        """Inbox files for new findings at or above ``feedback_at``, one summary for the batched ones, resolved marks."""
        self._move(AuditState.COMMUNICATING, "feedback inbox")
        stamp = report.timestamp.replace(":", "").replace("-", "")[:15]
        at, batch_at = Severity.parse(self.config.feedback_at), Severity.parse(self.config.summary_at)
        new = [i for i in report.issues if i.new]
        for n, issue in enumerate(i for i in new if i.severity.at_least(at)):
            path = self.inbox.issue(issue, commit=report.commit_hash, stamp=stamp, n=n)
            register.add(issue, report.commit_hash, path.name)
            self._notify(issue, report)
            if self.config.file_tasks and issue.severity.at_least(Severity.HIGH):
                self._file_task(issue, report.commit_hash)
        batched = [i for i in new if i.severity.at_least(batch_at) and not i.severity.at_least(at)]
        if batched:
            path = self.inbox.summary(batched, commit=report.commit_hash, stamp=stamp, severity=batch_at.value)
            for issue in batched:
                register.add(issue, report.commit_hash, path.name)
        for fp in report.resolved:
            self.inbox.mark_resolved(register.resolve(fp, report.commit_hash), report.commit_hash)
        register.save()

    def _notify(self, issue: Issue, report: AuditReport) -> None:
        if self.notifier is not None and issue.severity == Severity.CRITICAL:
            self.notifier.notify(Notice("audit_critical", f"CRITICAL {issue.type} in {issue.file or '-'} at {report.commit_hash[:10]}",
                                        f"{issue.description}\n\n{issue.remediation or ''}", severity="failure"))

    def _file_task(self, issue: Issue, commit: str) -> None:
        where = f"{issue.file}:{issue.line}" if issue.line else issue.file or "the repository"
        body = f"{issue.description}\n\nFound by the auditor ({issue.stage}) at commit {commit}.\n\n{issue.remediation or ''}"
        task = self.sup.create_task(NewTask(title=f"Fix {issue.severity.value.upper()} {issue.type} in {where}", body=body,
                                            kind=TaskKind.BUG.value, priority=0 if issue.severity == Severity.CRITICAL else 1,
                                            labels=("audit", issue.id)), actor=self.actor)
        self._event("audit.task_filed", {"task": task.id, "issue": issue.id})

    # -- state ---------------------------------------------------------------------------------------------------
    def _move(self, to: AuditState, why: str) -> None:
        if to != self.state and to not in AUDIT_MOVES[self.state] and to != AuditState.DETECTED_CHANGE:
            raise AssertionError(f"audit state {self.state.value} -> {to.value} is not a move the auditor makes")
        self.state = to
        self._save(state=to.value)
        self._event("audit.state", {"state": to.value, "why": why})
        if self.on_state is not None:
            self.on_state(to, why)

    def _saved(self) -> dict[str, Any]:
        return dict(read_json(self.dir / "state.json", {}))

    def _save(self, **changes: Any) -> None:
        state = {**self._saved(), **changes, "updated_at": utcnow().isoformat(timespec="seconds")}
        write_atomic(self.dir / "state.json", _json(state))

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        self.sup.store.record_event(kind, actor=self.actor, data=data)


def _parent(commit: Commit) -> str:
    return commit.parents[0] if commit.parents else EMPTY_TREE


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=str) + "\n"
