"""The secret scan: only the lines the change adds, so a key already in the baseline is not the run's fault.

Built-in high-confidence rules always run (CRITICAL, type SECRET_EXPOSURE): AWS access key ids and secret keys,
GitHub tokens, Slack tokens and webhooks, Stripe live keys, Google API keys, private key blocks, passwords in URLs,
and values assigned (quoted or not: Python, YAML, .env, shell) to names like password, secret, token or api_key when
they are high-entropy (above 4.0 bits a character over 20 or more), a hex key of 32 to 64 digits, or, for passwords,
10 or more mixed characters. References (``${VAR}``, ``os.environ``...) and placeholders (changeme, your-..., xxxx,
example) are not values; vendors' documented example keys are not secrets.

detect-secrets adds its plugins when installed (``detect_secrets: None``), when required (``True``: missing is an
ERROR), never with ``False``. Its hits on added lines that no built-in rule caught are HIGH. Nothing here ever
prints a secret: a message shows its first four characters and ``***``.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from overseer.config.verify import SecretsConfig
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus
from overseer.ports import CheckContext
from overseer.verify.git import AddedLine, GitError, added_lines
from overseer.verify.proc import ToolError, find_tool, run, tool_version

__all__ = ["RULES", "Rule", "SecretsStage", "entropy", "mask", "scan_line"]

REMEDIATION = "remove it from the change, rotate the credential, load it from the environment"
MIN_ENTROPY, MIN_LENGTH = 4.0, 20
_TIMEOUT = 300.0


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    pattern: re.Pattern[str]
    entropy: bool = False  # the captured value must also look random
    accept: Callable[[str], bool] | None = None  # a further test of the captured value

    def matches(self, text: str) -> list[str]:
        found = [m.group(1) for m in self.pattern.finditer(text) if not _documented_example(m.group(1))]
        found = [v for v in found if not self.entropy or (len(v) >= MIN_LENGTH and entropy(v) > MIN_ENTROPY)]
        return [v for v in found if self.accept is None or self.accept(v)]


_NOT_A_VALUE = ("changeme", "change-me", "change_me", "replace", "your", "example", "placeholder", "xxxx", "dummy", "redacted",
                "****", "password", "secret", "sample", "todo", "<", ">", "(", "{{")


def _literal(value: str) -> bool:
    """A value written out, not a reference (``${VAR}``, ``%(x)s``, ``os.environ``...) nor a placeholder."""
    low = value.lower()
    return not value.startswith(("$", "{", "%", "@")) and not any(w in low for w in _NOT_A_VALUE) and not low.startswith(
        ("os.", "env.", "settings.", "config.", "process.env", "none", "null", "true", "false"))


def _password(value: str) -> bool:
    """A hard-coded password: 10+ characters, mixed (letters and digits or punctuation), not a reference or placeholder."""
    mixed = any(c.isalpha() for c in value) and any(not c.isalpha() for c in value)
    return len(value) >= 10 and mixed and entropy(value) >= 3.0 and _literal(value)


def _hex_key(value: str) -> bool:
    return len(set(value)) >= 8 and _literal(value)


_NAME_TAIL = r"[a-z0-9_.-]*[\"']?\s*(?::=|=>|[:=])\s*(?:[rbuf]?[\"'`])?"
_UNQUOTED = r"([^\s\"'`,;)]{%d,})"


def _documented_example(value: str) -> bool:
    """Vendors' documented sample keys (AWS's ``AKIAIOSFODNN7EXAMPLE``, ``wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY``)."""
    return value.endswith(("EXAMPLE", "EXAMPLEKEY"))


RULES: tuple[Rule, ...] = (
    Rule("aws-access-key-id", "AWS access key id", re.compile(r"\b((?:AKIA|ASIA)[A-Z0-9]{16})\b")),
    Rule("aws-secret-access-key", "AWS secret access key",
         re.compile(r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]{1,2}\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")),
    Rule("github-token", "GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9])")),
    Rule("github-pat", "GitHub fine-grained token", re.compile(r"\b(github_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])")),
    Rule("slack-token", "Slack token", re.compile(r"\b(xox[baprs]-[A-Za-z0-9-]{10,})")),
    Rule("slack-webhook", "Slack webhook URL", re.compile(r"(https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+)")),
    Rule("stripe-key", "Stripe live key", re.compile(r"\b((?:sk|rk)_live_[A-Za-z0-9]{24,})")),
    Rule("private-key", "private key block", re.compile(r"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)")),
    Rule("high-entropy-assignment", "high-entropy string assigned to a secret-looking name",
         re.compile(r"(?i)(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|auth_?key|private_?key)" + _NAME_TAIL
                    + _UNQUOTED % MIN_LENGTH), entropy=True, accept=_literal),
    Rule("google-api-key", "Google API key", re.compile(r"\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])")),
    Rule("url-credentials", "password in a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:([^\s@/'\"]{6,})@[^\s'\"]+"),
         accept=_literal),
    Rule("password-assignment", "hard-coded password",
         re.compile(r"(?i)(?:password|passwd|pwd)" + _NAME_TAIL + _UNQUOTED % 10), accept=_password),
    Rule("hex-key-assignment", "hex key assigned to a secret-looking name",
         re.compile(r"(?i)(?:secret|token|api_?key|apikey|access_?key|auth_?key)" + _NAME_TAIL + r"([0-9a-f]{32,64})\b"),
         accept=_hex_key),
)


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    counts, n = Counter(text), len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def mask(value: str) -> str:
    """The first four characters and ``***``: enough to find it, never enough to use it."""
    return value[:4] + "***"


def scan_line(text: str) -> list[tuple[Rule, str]]:
    """Every (rule, value) the built-in rules find in one line; a value two rules catch counts once, for the first."""
    found: list[tuple[Rule, str]] = []
    for rule in RULES:
        for value in rule.matches(text):
            if not any(value in seen or seen in value for _, seen in found):
                found.append((rule, value))
    return found


class SecretsStage:
    name = "secrets"

    def __init__(self, config: SecretsConfig | None = None) -> None:
        self.config = config or SecretsConfig()

    def run(self, ctx: CheckContext) -> StageResult:
        started = time.monotonic()
        if not self.config.enabled:
            return StageResult(self.name, StageStatus.SKIPPED, detail="secret scan disabled (verify.secrets.enabled: false)")
        try:
            lines = added_lines(ctx.workdir, ctx.base_commit, ctx.head_commit, ctx.files)
        except GitError as err:
            return StageResult(self.name, StageStatus.ERROR, detail=f"cannot read the change: {err}", duration_s=time.monotonic() - started)
        findings = self._builtin(lines)
        tools: dict[str, str] = {}
        notes = [f"{len(lines)} added lines scanned by {len(RULES)} built-in rules"]
        error = self._detect_secrets(ctx.workdir, lines, findings, tools, notes)
        duration = time.monotonic() - started
        detail = "; ".join([*([error] if error else []), *notes, f"{len(findings)} secret(s) found"])
        status = StageStatus.ERROR if error else StageStatus.FAILED if findings else StageStatus.PASSED
        return StageResult(self.name, status, tuple(findings), duration_s=duration, detail=detail, tools=tools)

    def _builtin(self, lines: Iterable[AddedLine]) -> list[Finding]:
        found: list[Finding] = []
        for added in lines:
            for rule, value in scan_line(added.text):
                found.append(Finding(self.name, Severity.CRITICAL, "SECRET_EXPOSURE",
                                     f"{rule.title} ({mask(value)}) added in the change", file=added.file, line=added.line,
                                     rule=rule.name, remediation=REMEDIATION))
        return found

    def _detect_secrets(self, workdir: Path, lines: list[AddedLine], findings: list[Finding], tools: dict[str, str],
                        notes: list[str]) -> str | None:
        """Adds detect-secrets' hits on added lines to ``findings``; returns an error when it was required or broke."""
        if self.config.detect_secrets is False or not lines:
            return None
        exe = find_tool("detect-secrets")
        if exe is None:
            if self.config.detect_secrets:
                return "detect-secrets is required (verify.secrets.detect_secrets: true) but not installed: pip install detect-secrets"
            notes.append("detect-secrets not installed, built-in rules only")
            return None
        tools["detect-secrets"] = tool_version([exe, "--version"]) or "unknown"
        files = sorted({a.file for a in lines if (workdir / a.file).is_file()})
        try:
            hits = _scan(exe, workdir, files)
        except (ToolError, ValueError) as err:
            return f"detect-secrets broke: {err}"
        added = {(a.file, a.line) for a in lines}
        seen = {(f.file, f.line) for f in findings}
        for file, line, kind in hits:
            if (file, line) in added and (file, line) not in seen:
                seen.add((file, line))
                findings.append(Finding(self.name, Severity.HIGH, "SECRET_EXPOSURE", f"detect-secrets: {kind} added in the change",
                                        file=file, line=line, rule=kind, remediation=REMEDIATION))
        notes.append(f"detect-secrets scanned {len(files)} file(s)")
        return None


def _scan(exe: str, workdir: Path, files: list[str]) -> list[tuple[str, int, str]]:
    """(file, line, secret type) for every detect-secrets result in ``files``; ValueError when its output is unreadable."""
    if not files:
        return []
    # --no-verify: detect-secrets would otherwise send what it finds to the providers to ask whether it is live
    done = run([exe, "scan", "--no-verify", *files], workdir, timeout=_TIMEOUT, max_output=64 << 20, merge_stderr=False)
    if done.timed_out:
        raise ValueError(f"killed after {_TIMEOUT:g}s")
    if done.exit_code != 0:
        said = (done.stderr.strip() or "no output").splitlines()[-1][:300]
        raise ValueError(f"exit {done.exit_code}: {said}")
    try:
        results = json.loads(done.output).get("results", {})
        return [(str(r["filename"]), int(r["line_number"]), str(r.get("type", "secret")))
                for entries in results.values() for r in entries]
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError) as err:
        raise ValueError(f"output is not the JSON it should be: {err}") from err
