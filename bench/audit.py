"""Audit benchmark: what the commit auditor costs over the tools it runs, and how well its secret scan finds keys.

    .venv/bin/python bench/audit.py [--commits 200] [--seed 7] [--package rich | --repo PATH] [--per-kind 20] [--quick] [--check]

1. Overhead. A real history of COMMITS+1 commits in a temp repo: the source of a pip-installed package (``rich`` by
   default) turned into commits (commit 0 imports a dozen of its files; each later commit adds a few more or edits
   some already there, seeded), or with ``--repo`` a clone of an existing repository's last commits. Commit 0 warms
   both sides up, untimed. Then each commit, oldest first, is audited as a batch of one
   (``Auditor.audit([commit], base=parent)`` with ``audit.stages: [secrets, static]``: no test suite) and, in the
   same run and in a random order per commit, checked by the same tools run directly on the commit's changed files:
   ``detect-secrets scan``, ``ruff check --output-format json --no-cache``, ``bandit -f json -q`` (``shellcheck -f
   json`` on shell scripts). Checkout included on both sides: the auditor adds a scratch worktree per audit, and
   the baseline pays a ``git diff --name-only`` and a ``git worktree add --detach``/``remove`` per commit, and reads
   every tool's JSON. overhead_ratio = Overseer's seconds / the tools' seconds.
2. Secret scan. A seeded corpus in one commit: planted credentials (AWS key ids and secret keys, GitHub tokens and
   fine-grained PATs, Slack tokens and webhooks, Stripe live keys, private key blocks, passwords, API keys, database
   URLs with a password, JWTs, Google API keys) and look-alikes that are not secrets (placeholders, environment
   lookups, AWS's documented example keys, git shas, UUIDs, base64 of prose, lockfile hashes, URLs without
   credentials, secret-sounding names with harmless values), in .py/.env/.sh/.yaml/.pem/requirements files between
   filler lines. ``SecretsStage`` (built-in rules + detect-secrets, default config) on that commit against
   ``detect-secrets scan`` alone on the same files. recall = planted credentials found / planted (a hit on any line
   of a credential finds it); false_pos = flagged lines that hold no planted credential. detect-secrets runs as the
   stage runs it, with ``--no-verify`` (no finding is ever sent to a provider to ask whether it is live).

The last line is::

    BENCH audit overhead_ratio=… recall=… recall_detect_secrets=… false_pos=… false_pos_detect_secrets=… …

Targets: overhead_ratio <= 1.2; recall >= recall_detect_secrets; false_pos <= false_pos_detect_secrets.
With ``--check`` the exit status is 1 when one is missed.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import itertools
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from overseer.audit import Auditor
from overseer.audit.auditor import EMPTY_TREE
from overseer.bootstrap import init_project, open_auditor, open_supervisor
from overseer.domain.verification import StageStatus
from overseer.ports import CheckContext
from overseer.verify.secrets import RULES, SecretsStage
from overseer.verify.static import is_test_file

DEFAULT_COMMITS, QUICK_COMMITS = 200, 5
DEFAULT_PER_KIND, QUICK_PER_KIND = 20, 3
DEFAULT_SEED = 7
PACKAGE = "rich"
INITIAL_FILES = 12
FILES_PER_COMMIT = (1, 1, 2, 2, 3, 4)  # files a commit touches, drawn uniformly
ADD_SHARE = 0.3  # the share of those that are a new file of the package (while some are left)
TARGET_RATIO = 1.2
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
EPOCH = 1_735_689_600  # 2025-01-01: fixed commit dates, so a seed always gives the same shas


def log(msg: str = "") -> None:
    print(msg, flush=True)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout


def tool(name: str) -> str:
    """The tool the stages would run: next to this interpreter first, then PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (pip install {name}): the baseline needs it")
    return found


def is_shell(path: Path) -> bool:
    """A .sh/.bash file, or one whose #! line names a POSIX-ish shell (what the static stage hands to shellcheck)."""
    if path.suffix in (".sh", ".bash"):
        return True
    with open(path, "rb") as fh:
        first = fh.readline(200).decode("utf-8", "replace")
    words = [w for w in first[2:].split() if not w.startswith("-")] if first.startswith("#!") else []
    words = words[1:] if words and os.path.basename(words[0]) == "env" else words
    return bool(words) and os.path.basename(words[0]) in ("sh", "bash", "dash", "ksh", "zsh")


# --------------------------------------------------------------------------------------------------
# Part 1: a history, audited commit by commit, against the tools run directly
# --------------------------------------------------------------------------------------------------
NOTES = ("keep in step with the renderer", "measured, see the changelog", "cheaper than a copy here", "callers rely on the order",
         "left as is for backwards compatibility", "the fast path")


def package_files(package: str) -> list[tuple[str, str]]:
    """(path, text) of every .py file of an installed package, sorted; nothing is imported."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{package} is not installed in this environment")
    top = Path(spec.origin).parent
    return sorted((p.relative_to(top.parent).as_posix(), p.read_text(encoding="utf-8"))
                  for p in top.rglob("*.py") if "__pycache__" not in p.parts)


def edit(text: str, rng: random.Random, n: int) -> str:
    """A small change that keeps the file valid Python: a helper function appended, or a comment line inserted."""
    if rng.random() < 0.5:
        k = rng.randrange(100)
        return text.rstrip("\n") + (f"\n\n\ndef _helper_{n}_{k}(values: list[int]) -> int:\n"
                                     f"    \"\"\"The sum of the values above {k}.\"\"\"\n    total = 0\n    for value in values:\n"
                                     f"        if value > {k}:\n            total += value\n    return total\n")
    lines = text.splitlines(keepends=True)
    at = rng.randrange(len(lines) + 1)
    while at > 0 and lines[at - 1].rstrip().endswith("\\"):
        at -= 1
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())] if at < len(lines) else ""
    return "".join([*lines[:at], f"{indent}# note {n}: {rng.choice(NOTES)}\n", *lines[at:]])


def commit_all(repo: Path, message: str, n: int) -> str:
    stamp = f"{EPOCH + 3600 * n} +0000"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def build_history(repo: Path, commits: int, seed: int, package: str = PACKAGE) -> list[str]:
    """A new repo of ``commits`` + 1 commits made of ``package``'s source; their shas, oldest first."""
    rng = random.Random(seed)
    pool = package_files(package)
    rng.shuffle(pool)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text(f"The source of {package}, replayed as a history.\n", encoding="utf-8")
    present: list[str] = []
    for path, text in pool[:INITIAL_FILES]:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text, encoding="utf-8")
        present.append(path)
    shas, pool = [commit_all(repo, f"import {len(present)} files of {package}", 0)], pool[INITIAL_FILES:]
    for n in range(1, commits + 1):
        added, edited = [], []
        for _ in range(rng.choice(FILES_PER_COMMIT)):
            if pool and rng.random() < ADD_SHARE:
                path, text = pool.pop()
                (repo / path).parent.mkdir(parents=True, exist_ok=True)
                present.append(path)
                added.append(path)
            else:
                path = rng.choice(present)
                text = edit((repo / path).read_text(encoding="utf-8"), rng, n)
                edited.append(path)
            (repo / path).write_text(text, encoding="utf-8")
        shas.append(commit_all(repo, f"change {n}: add {len(added)}, edit {len(set(edited))} file(s)", n))
    return shas


def clone_history(source: Path, repo: Path, commits: int) -> list[str]:
    """A clone of ``source`` and the shas of its last ``commits`` + 1 first-parent commits, oldest first."""
    git(source, "clone", "-q", str(source.resolve()), str(repo))
    shas = git(repo, "rev-list", "--first-parent", "--reverse", f"--max-count={commits + 1}", "HEAD").split()
    if len(shas) < commits + 1:
        log(f"  {source} has {len(shas)} commits on its first-parent line: auditing {len(shas) - 1}, not {commits}")
    return shas


def open_bench_auditor(repo: Path) -> Auditor:
    """The auditor ``overseer audit`` would open in ``repo``, with the secrets and static stages only."""
    init_project(repo)
    (repo / "overseer.yaml").write_text(json.dumps({"audit": {"stages": ["secrets", "static"]}}), encoding="utf-8")
    return open_auditor(open_supervisor(repo), actor="bench")


@dataclass(frozen=True)
class Side:
    seconds: float
    findings: int  # ruff + bandit (+ shellcheck) findings: the two sides must agree
    parts: dict[str, float] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def overseer_side(auditor: Auditor, parent: str, sha: str) -> Side:
    started = time.perf_counter()
    commit = next(c for c in auditor.log.new_commits(parent, sha) if c.sha == sha)
    report = auditor.audit([commit], base=parent)
    seconds = time.perf_counter() - started
    stages = {s.stage: s for s in report.stages}
    problems = tuple(f"{s.stage} {s.status.value}: {s.detail}" for s in report.stages
                     if s.status in (StageStatus.ERROR, StageStatus.TIMEOUT))
    parts = {name: s.duration_s for name, s in stages.items()}
    parts["auditor"] = seconds - sum(parts.values())
    static = stages.get("static")
    return Side(seconds, len(static.findings) if static else 0, parts, problems)


def _timed(parts: dict[str, float], name: str, argv: list[str], cwd: Path, ok: Sequence[int] = (0,)) -> str:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    parts[name] = parts.get(name, 0.0) + time.perf_counter() - started
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv[:3])} ... exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout


def tools_side(repo: Path, scratch: Path, parent: str, sha: str, exe: dict[str, str]) -> Side:
    """The tools the stages run, run directly on the commit's changed files in a fresh checkout of it."""
    started, parts = time.perf_counter(), dict[str, float]()
    tree = scratch / sha[:12]
    files = [f for f in git(repo, "diff", "--name-only", "-z", "--diff-filter=d", parent, sha).split("\0") if f]
    _timed(parts, "checkout", [*GIT, "worktree", "add", "--quiet", "--detach", str(tree), sha], repo)
    findings = 0
    try:
        present = [f for f in files if (tree / f).is_file()]
        python = [f for f in present if f.endswith((".py", ".pyi"))]
        shell = [f for f in present if is_shell(tree / f)]
        if present:
            json.loads(_timed(parts, "detect-secrets", [exe["detect-secrets"], "scan", "--no-verify", *present], tree))
        if python:
            findings += len(json.loads(_timed(parts, "ruff", [exe["ruff"], "check", "--output-format", "json", "--no-cache", *python],
                                              tree, ok=(0, 1))))
            issues = json.loads(_timed(parts, "bandit", [exe["bandit"], "-f", "json", "-q", *python], tree, ok=(0, 1)))["results"]
            findings += sum(not (i["test_id"] == "B101" and is_test_file(i["filename"])) for i in issues)  # as the stage counts
        if shell:
            findings += len(json.loads(_timed(parts, "shellcheck", [tool("shellcheck"), "-f", "json", *shell], tree, ok=(0, 1))))
    finally:
        _timed(parts, "checkout", [*GIT, "worktree", "remove", "--force", str(tree)], repo)
    return Side(time.perf_counter() - started, findings, parts)


@dataclass
class History:
    commits: int = 0
    overseer: list[Side] = field(default_factory=list)
    tools: list[Side] = field(default_factory=list)

    @property
    def overseer_s(self) -> float:
        return sum(s.seconds for s in self.overseer)

    @property
    def tools_s(self) -> float:
        return sum(s.seconds for s in self.tools)

    @property
    def ratio(self) -> float:
        return self.overseer_s / self.tools_s

    def parts(self, side: str) -> dict[str, float]:
        total: Counter[str] = Counter()
        for s in self.overseer if side == "overseer" else self.tools:
            total.update(s.parts)
        return dict(total)


def run_history(repo: Path, shas: list[str], seed: int) -> History:
    """Commit 0 warms both sides up (imports, tool versions, page cache); every later commit is timed on both, in a
    random order per commit so machine noise falls on both."""
    auditor = open_bench_auditor(repo)
    exe = {name: tool(name) for name in ("detect-secrets", "ruff", "bandit")}
    scratch = repo.parent / f"{repo.name}-tools-scratch"
    scratch.mkdir()
    order, result = random.Random(seed + 1), History()
    try:
        before = git(repo, "rev-list", "--parents", "--max-count=1", shas[0]).split()[1:2] or [EMPTY_TREE]
        overseer_side(auditor, before[0], shas[0])
        tools_side(repo, scratch, before[0], shas[0], exe)
        for n, (parent, sha) in enumerate(itertools.pairwise(shas), 1):
            if order.random() < 0.5:
                ours, theirs = overseer_side(auditor, parent, sha), tools_side(repo, scratch, parent, sha, exe)
            else:
                theirs, ours = tools_side(repo, scratch, parent, sha, exe), overseer_side(auditor, parent, sha)
            result.overseer.append(ours)
            result.tools.append(theirs)
            result.commits = n
            for problem in ours.problems:
                log(f"  ! commit {n} ({sha[:10]}): {problem[:300]}")
            if n % 20 == 0 or n == len(shas) - 1:
                log(f"  commit {n:>4}/{len(shas) - 1}: overseer {result.overseer_s:7.1f} s, tools {result.tools_s:7.1f} s, "
                    f"ratio so far {result.ratio:.2f}")
    finally:
        auditor.sup.close()
    return result


# --------------------------------------------------------------------------------------------------
# Part 2: a corpus of planted secrets and look-alikes
# --------------------------------------------------------------------------------------------------
ALNUM = string.ascii_letters + string.digits
UPPER32 = string.ascii_uppercase + "234567"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
PUNCT = "!#$%&*+-.=?@^_~"
FILES = {"py": "app/settings.py", "env": "deploy/.env", "sh": "deploy/release.sh", "yaml": "config/services.yaml",
         "req": "requirements.txt"}  # and "pem": one keys/*.pem file per key
HEADERS = {"py": ['"""Settings of the orders service."""', "import os"], "sh": ["#!/usr/bin/env bash", "set -euo pipefail"],
           "env": ["# staging"], "yaml": ["# services"], "req": ["# pinned by pip-compile"]}
FILLER = {
    "py": ["TIMEOUT_SECONDS = 30", 'LOG_LEVEL = "info"', 'REGION = "eu-west-1"', "# retry with exponential backoff", "MAX_RETRIES = 5",
           'FEATURES = ["search", "export"]', "DEBUG = False"],
    "env": ["LOG_LEVEL=info", "PORT=8080", "WORKERS=4", "TZ=UTC", "# queue"],
    "sh": ['echo "deploying $VERSION"', 'cd "$(dirname "$0")"', "# build and push", "docker compose pull"],
    "yaml": ["replicas: 3", "region: eu-west-1", "log_level: info", "# limits", "timeout_seconds: 30"],
    "req": ["pydantic==2.8.2", "click==8.1.7", "# via httpx"],
}
Template = tuple[str, str]  # (where, line with {v} for the value)
Maker = Callable[[random.Random], str]


def chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(rng: random.Random) -> str:
    claims = {"sub": str(rng.randrange(10**6)), "name": "svc-orders", "iat": 1_700_000_000 + rng.randrange(10**7)}
    return ".".join([_b64url(b'{"alg":"HS256","typ":"JWT"}'), _b64url(json.dumps(claims).encode()), chars(rng, ALNUM + "-_", 43)])


def _db_url(rng: random.Random) -> str:
    scheme, user, host = rng.choice([("postgres", "app", "db.internal:5432/orders"), ("mysql", "root", "mysql.internal:3306/shop"),
                                     ("mongodb+srv", "svc", "cluster0.example.net/app"), ("redis", "", "cache.internal:6379/0")])
    return f"{scheme}://{user}:{chars(rng, ALNUM, rng.randint(12, 20))}@{host}"


def _pem_body(rng: random.Random) -> list[str]:
    return [chars(rng, B64, 64) for _ in range(rng.randint(4, 9))] + [chars(rng, B64, rng.randint(8, 60)) + "=="]


# kind -> (value maker, templates); the n-th sample of a kind takes the n-th template (cycling), so every form appears
SECRETS: dict[str, tuple[Maker, list[Template]]] = {
    "aws-access-key-id": (lambda r: "AKIA" + chars(r, UPPER32, 16), [
        ("py", 'aws_access_key_id = "{v}"'), ("env", "AWS_ACCESS_KEY_ID={v}"), ("yaml", "aws_access_key_id: {v}"),
        ("sh", "export AWS_ACCESS_KEY_ID={v}"), ("py", 's3 = boto3.client("s3", aws_access_key_id="{v}", region_name="eu-west-1")')]),
    "aws-secret-access-key": (lambda r: chars(r, B64, 40), [
        ("py", 'aws_secret_access_key = "{v}"'), ("env", "AWS_SECRET_ACCESS_KEY={v}"), ("yaml", "aws_secret_access_key: {v}"),
        ("sh", "export AWS_SECRET_ACCESS_KEY='{v}'")]),
    "github-token": (lambda r: r.choice(["ghp_", "gho_", "ghs_"]) + chars(r, ALNUM, 36), [
        ("py", 'GITHUB_TOKEN = "{v}"'), ("env", "GH_TOKEN={v}"), ("yaml", "github_token: {v}"),
        ("sh", "git clone https://x-access-token:{v}@github.com/acme/infra.git")]),
    "github-fine-grained-pat": (lambda r: "github_pat_" + chars(r, ALNUM, 22) + "_" + chars(r, ALNUM, 59), [
        ("env", "GITHUB_PAT={v}"), ("py", 'gh = Github(auth=Auth.Token("{v}"))'), ("yaml", "pat: {v}")]),
    "slack-token": (lambda r: f"xox{r.choice('bp')}-{chars(r, string.digits, 11)}-{chars(r, string.digits, 13)}-{chars(r, ALNUM, 24)}", [
        ("py", 'SLACK_BOT_TOKEN = "{v}"'), ("env", "SLACK_TOKEN={v}"), ("yaml", "slack_token: {v}"),
        ("py", 'slack = WebClient(token="{v}")')]),
    "slack-webhook": (lambda r: "https://hooks.slack.com/services/T" + chars(r, UPPER32, 8) + "/B" + chars(r, UPPER32, 10) + "/"
                      + chars(r, ALNUM, 24), [
        ("py", 'WEBHOOK_URL = "{v}"'), ("env", "SLACK_WEBHOOK={v}"), ("yaml", "alerts_webhook: {v}"),
        ("sh", "curl -X POST -d @payload.json {v}")]),
    "stripe-live-key": (lambda r: "sk_" + "live_" + chars(r, ALNUM, r.choice([24, 99])), [
        ("py", 'stripe.api_key = "{v}"'), ("env", "STRIPE_SECRET_KEY={v}"), ("yaml", "stripe_key: {v}")]),
    "password": (lambda r: chars(r, ALNUM + PUNCT, r.randint(12, 32)), [
        ("py", 'DB_PASSWORD = "{v}"'), ("yaml", 'password: "{v}"'), ("env", "POSTGRES_PASSWORD={v}"),
        ("py", 'conn = psycopg.connect(host="db.internal", user="app", password="{v}")'), ("sh", "export SMTP_PASSWORD='{v}'")]),
    "api-key": (lambda r: chars(r, r.choice([ALNUM, HEX]), r.choice([32, 40])), [
        ("py", 'api_key = "{v}"'), ("yaml", "api_key: {v}"), ("env", "MAPS_API_KEY={v}"), ("py", 'client = WeatherClient(api_key="{v}")'),
        ("sh", 'curl -H "X-Api-Key: {v}" https://api.example.com/v1/forecast')]),
    "database-url-password": (_db_url, [
        ("env", "DATABASE_URL={v}"), ("py", 'SQLALCHEMY_DATABASE_URI = "{v}"'), ("yaml", "database_url: {v}")]),
    "jwt": (_jwt, [("py", 'token = "{v}"'), ("sh", 'curl -H "Authorization: Bearer {v}" https://api.example.com/me'),
                   ("env", "SERVICE_JWT={v}")]),
    "google-api-key": (lambda r: "AIza" + chars(r, ALNUM + "-_", 35), [
        ("py", 'GOOGLE_MAPS_KEY = "{v}"'), ("yaml", "maps_key: {v}"), ("env", "FIREBASE_KEY={v}")]),
}
LOREM = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor", "incididunt")
PRIVATE_KEY = "private-key"  # pragma: allowlist secret  (the kind's name; its keys span lines: a .pem file, or settings.py)
AWS_EXAMPLE_ID, AWS_EXAMPLE_SECRET = "AKIA" + "IOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"  # AWS's docs
NOT_SECRETS: dict[str, tuple[Maker, list[Template]]] = {
    "placeholder": (lambda r: "", [
        ("py", 'api_key = "your-api-key-here"'),  # pragma: allowlist secret
        ("py", 'password = "changeme"'),  # pragma: allowlist secret
        ("py", 'GITHUB_TOKEN = "<your GitHub token>"'),
        ("env", "AWS_SECRET_ACCESS_KEY=your-secret-access-key"),
        ("yaml", 'password: "${DB_PASSWORD}"'),
        ("yaml", 'api_key: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"'),  # pragma: allowlist secret
        ("py", 'SECRET_KEY = "replace-me-in-production"'),  # pragma: allowlist secret
        ("env", "STRIPE_SECRET_KEY=sk_" + "live_...")]),
    "environment-lookup": (lambda r: "", [
        ("py", 'password = os.environ["DB_PASSWORD"]'), ("py", 'api_key = os.getenv("MAPS_API_KEY", "")'),
        ("py", "token = settings.GITHUB_TOKEN"), ("yaml", "password: ${POSTGRES_PASSWORD}"),
        ("sh", 'export GITHUB_TOKEN="$(cat /run/secrets/gh_token)"'), ("env", "DB_PASSWORD=${VAULT_DB_PASSWORD}"),
        ("py", "aws_secret_access_key = session.get_credentials().secret_key"),
        ("py", 'secret = vault.read("secret/data/app")["data"]["password"]')]),
    "aws-documented-example": (lambda r: "", [
        ("py", f'aws_access_key_id = "{AWS_EXAMPLE_ID}"'), ("env", f"AWS_SECRET_ACCESS_KEY={AWS_EXAMPLE_SECRET}"),
        ("yaml", f"aws_secret_access_key: {AWS_EXAMPLE_SECRET}"), ("sh", f"export AWS_ACCESS_KEY_ID={AWS_EXAMPLE_ID}")]),
    "git-sha": (lambda r: chars(r, HEX, 40), [
        ("py", 'REVISION = "{v}"'), ("yaml", "rev: {v}"), ("env", "GIT_COMMIT={v}"), ("sh", "git checkout {v}"),
        ("py", 'base_commit = "{v}"')]),
    "uuid": (lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)), [
        ("py", 'request_id = "{v}"'), ("yaml", "tenant_id: {v}"), ("env", "AZURE_CLIENT_ID={v}"), ("py", 'ORG_ID = "{v}"')]),
    "base64-of-prose": (lambda r: base64.b64encode(" ".join(r.choice(LOREM) for _ in range(r.randint(6, 14))).encode()).decode(), [
        ("py", 'BANNER_B64 = "{v}"'), ("yaml", "welcome_message_b64: {v}"), ("py", 'fixture_payload = "{v}"'), ("env", "MOTD_BASE64={v}")]),
    "lockfile-hash": (lambda r: chars(r, HEX, 64), [
        ("req", "requests==2.32.3 --hash=sha256:{v}"), ("req", "urllib3==2.2.2 --hash=sha256:{v}"),
        ("req", "idna==3.7 --hash=sha256:{v}"), ("yaml", "checksum: sha256:{v}")]),
    "url-without-credentials": (lambda r: chars(r, ALNUM, 8), [
        ("py", 'API_URL = "https://api.example.com/v2/orders?limit=50&cursor={v}"'),
        ("env", "DATABASE_URL=postgres://db.internal:5432/orders"), ("yaml", "endpoint: https://hooks.example.com/services/ingest/{v}"),
        ("sh", "curl -fsSL https://downloads.example.com/releases/v1.4.2/install.sh"),
        ("py", 'REDIS_URL = "redis://cache.internal:6379/0"')]),
    "secret-sounding-name": (lambda r: "", [
        ("py", "PASSWORD_MIN_LENGTH = 12"),
        ("py", 'token_type = "Bearer"'),
        ("py", 'secret_name = "prod/db/credentials"'),  # pragma: allowlist secret
        ("py", 'API_KEY_HEADER = "X-API-Key"'),  # pragma: allowlist secret
        ("py", 'password_field = "password"'),  # pragma: allowlist secret
        ("yaml", "auth_token_ttl_seconds: 3600"),
        ("env", "SECRET_KEY_FILE=/run/secrets/django_secret_key"),
        ("py", 'private_key_path = "~/.ssh/id_ed25519"')]),
}


@dataclass(frozen=True)
class Sample:
    kind: str
    secret: bool
    where: str  # a key of FILES, or "pem"
    lines: tuple[str, ...]
    group: int = 0  # its service folder, so that no file holds one template twice (see make_corpus)


@dataclass(frozen=True)
class Planted:
    kind: str
    secret: bool
    file: str
    first: int  # 1-based line numbers, inclusive
    last: int


def private_key(rng: random.Random, n: int) -> Sample:
    algo = ("RSA ", "EC ", "OPENSSH ", "")[n % 4]
    begin, end = "-----BEGIN " + algo + "PRIVATE" + " KEY-----", "-----END " + algo + "PRIVATE" + " KEY-----"
    body = _pem_body(rng)
    if n % 2:
        return Sample(PRIVATE_KEY, True, "py", (f'DEPLOY_KEY = """{begin}', *body, f'{end}"""'), n // 2)
    return Sample(PRIVATE_KEY, True, "pem", (begin, *body, end), n // 2)


def make_corpus(seed: int, per_kind: int) -> list[Sample]:
    """``per_kind`` samples of every kind; the n-th of a kind takes its n-th template (cycling) and goes to service folder
    ``svc<cycle>``. detect-secrets reports a value once per file, so a line repeated in one file would count once for it
    and every time for a line-by-line scanner: the folders keep every file free of repeats."""
    rng = random.Random(seed)
    samples = [private_key(rng, n) for n in range(per_kind)]
    for table, secret in ((SECRETS, True), (NOT_SECRETS, False)):
        for kind, (value, templates) in table.items():
            for n in range(per_kind):
                where, line = templates[n % len(templates)]
                samples.append(Sample(kind, secret, where, (line.replace("{v}", value(rng)),), n // len(templates)))
    return samples


def write_corpus(repo: Path, samples: list[Sample], seed: int) -> list[Planted]:
    """The samples shuffled into their files, 0-2 filler lines apart; where each landed."""
    rng = random.Random(seed)
    order = samples[:]
    rng.shuffle(order)
    texts: dict[str, list[str]] = {}
    planted: list[Planted] = []
    for n, sample in enumerate(order):
        if sample.where == "pem":
            file = f"svc{sample.group}/keys/deploy_{n}.pem"
            lines = texts[file] = []
        else:
            file = f"svc{sample.group}/{FILES[sample.where]}"
            lines = texts.setdefault(file, list(HEADERS[sample.where]))
            lines += rng.choices(FILLER[sample.where], k=rng.randint(0, 2))
        planted.append(Planted(sample.kind, sample.secret, file, len(lines) + 1, len(lines) + len(sample.lines)))
        lines += sample.lines
    for file, lines in texts.items():
        (repo / file).parent.mkdir(parents=True, exist_ok=True)
        (repo / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return planted


@dataclass
class Score:
    planted: Counter[str] = field(default_factory=Counter)  # credentials per kind
    found: Counter[str] = field(default_factory=Counter)
    negatives: Counter[str] = field(default_factory=Counter)  # look-alike lines per kind
    flagged: Counter[str] = field(default_factory=Counter)  # flagged lines without a credential, by the look-alike kind or "filler"

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / max(1, sum(self.planted.values()))

    @property
    def false_pos(self) -> int:
        return sum(self.flagged.values())


def score(planted: list[Planted], hits: set[tuple[str, int]]) -> Score:
    """A credential is found when any of its lines is hit; every other hit line is a false positive."""
    result = Score()
    at = {(p.file, line): p for p in planted for line in range(p.first, p.last + 1)}
    found = {at[h] for h in hits if h in at and at[h].secret}
    for p in planted:
        if p.secret:
            result.planted[p.kind] += 1
            result.found[p.kind] += p in found
        else:
            result.negatives[p.kind] += 1
    for h in hits:
        where = at.get(h)
        if where is None or not where.secret:
            result.flagged[where.kind if where else "filler"] += 1
    return result


@dataclass
class Corpus:
    overseer: Score
    builtin: Score  # Overseer's built-in rules alone (its CRITICAL findings)
    detect_secrets: Score
    files: int = 0


def run_corpus(repo: Path, seed: int, per_kind: int) -> Corpus:
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("corpus\n", encoding="utf-8")
    base = commit_all(repo, "empty project", 0)
    planted = write_corpus(repo, make_corpus(seed, per_kind), seed)
    head = commit_all(repo, "configuration", 1)
    files = sorted({p.file for p in planted})
    result = SecretsStage().run(CheckContext(repo, base, head))
    if result.status == StageStatus.ERROR or "detect-secrets" not in result.tools:
        raise SystemExit(f"the secrets stage could not judge the corpus: {result.detail}")
    ours = {(f.file, f.line) for f in result.findings if f.file and f.line}
    rules = {r.name for r in RULES}
    builtin = {(f.file, f.line) for f in result.findings if f.file and f.line and f.rule in rules}
    argv = [tool("detect-secrets"), "scan", "--no-verify", *files]
    out = subprocess.run(argv, cwd=repo, capture_output=True, text=True, check=True).stdout
    theirs = {(str(r["filename"]), int(r["line_number"])) for rs in json.loads(out)["results"].values() for r in rs}
    return Corpus(score(planted, ours), score(planted, builtin), score(planted, theirs), len(files))


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------
def print_history(h: History) -> None:
    n = max(1, h.commits)
    log(f"\n{'per commit (ms)':<28}{'overseer':>10}{'tools':>10}")
    log(f"{'total':<28}{1000 * h.overseer_s / n:>10.0f}{1000 * h.tools_s / n:>10.0f}")
    ours, theirs = h.parts("overseer"), h.parts("tools")
    for name, label in (("secrets", "secrets stage"), ("static", "static stage"), ("auditor", "auditor's own work")):
        log(f"  {label:<26}{1000 * ours.get(name, 0) / n:>10.0f}")
    for name in ("checkout", "detect-secrets", "ruff", "bandit", "shellcheck"):
        if name in theirs:
            log(f"  {name:<26}{'':>10}{1000 * theirs[name] / n:>10.0f}")
    k = min(20, n)
    early, late = (sum(s.parts["auditor"] for s in part) / k * 1000 for part in (h.overseer[:k], h.overseer[-k:]))
    log(f"the auditor's own part (git, worktree, report), first {k} commits: {early:.0f} ms a commit; last {k}: {late:.0f} ms")
    a, b = sum(s.findings for s in h.overseer), sum(s.findings for s in h.tools)
    log(f"static findings: overseer {a}, tools {b}" + ("" if a == b else "  ! the two sides did not report the same findings"))
    errors = sum(bool(s.problems) for s in h.overseer)
    if errors:
        log(f"! {errors} audit(s) had a stage that could not judge (ERROR/TIMEOUT): the timing is not comparable")


def print_corpus(c: Corpus) -> None:
    log(f"\n{'planted credential':<26}{'planted':>8}{'overseer':>10}{'built-in':>10}{'detect-secrets':>16}")
    for kind in [*SECRETS, PRIVATE_KEY]:
        log(f"{kind:<26}{c.overseer.planted[kind]:>8}{c.overseer.found[kind]:>10}{c.builtin.found[kind]:>10}"
            f"{c.detect_secrets.found[kind]:>16}")
    log(f"{'recall':<26}{'':>8}{c.overseer.recall:>10.2f}{c.builtin.recall:>10.2f}{c.detect_secrets.recall:>16.2f}")
    log(f"\n{'not a secret (lines flagged)':<26}{'lines':>8}{'overseer':>10}{'built-in':>10}{'detect-secrets':>16}")
    for kind in [*NOT_SECRETS, "filler"]:
        log(f"{kind:<26}{c.overseer.negatives.get(kind, ''):>8}{c.overseer.flagged[kind]:>10}{c.builtin.flagged[kind]:>10}"
            f"{c.detect_secrets.flagged[kind]:>16}")
    log(f"{'false positives':<26}{'':>8}{c.overseer.false_pos:>10}{c.builtin.false_pos:>10}{c.detect_secrets.false_pos:>16}")


def bench_line(h: History, c: Corpus) -> str:
    n = max(1, h.commits)
    return (f"BENCH audit overhead_ratio={h.ratio:.2f} recall={c.overseer.recall:.2f} recall_detect_secrets={c.detect_secrets.recall:.2f} "
            f"false_pos={c.overseer.false_pos} false_pos_detect_secrets={c.detect_secrets.false_pos} commits={h.commits} "
            f"overseer_s_per_commit={h.overseer_s / n:.3f} tools_s_per_commit={h.tools_s / n:.3f}")


def missed(h: History, c: Corpus) -> list[str]:
    out = []
    if h.ratio > TARGET_RATIO:
        out.append(f"overhead_ratio {h.ratio:.2f} > {TARGET_RATIO}")
    if c.overseer.recall < c.detect_secrets.recall:
        out.append(f"recall {c.overseer.recall:.2f} < detect-secrets' {c.detect_secrets.recall:.2f}")
    if c.overseer.false_pos > c.detect_secrets.false_pos:
        out.append(f"false_pos {c.overseer.false_pos} > detect-secrets' {c.detect_secrets.false_pos}")
    return out


def main(argv: Sequence[str] | None = None) -> tuple[History, Corpus]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=None, help=f"commits audited (default {DEFAULT_COMMITS}; --quick {QUICK_COMMITS})")
    parser.add_argument("--per-kind", type=int, default=None, help=f"corpus samples per kind (default {DEFAULT_PER_KIND})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--package", default=PACKAGE, help="the installed package whose source becomes the history")
    parser.add_argument("--repo", type=Path, help="audit a clone of this repository's last commits instead")
    parser.add_argument("--quick", action="store_true", help="a smoke-test size")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    commits = args.commits or (QUICK_COMMITS if args.quick else DEFAULT_COMMITS)
    per_kind = args.per_kind or (QUICK_PER_KIND if args.quick else DEFAULT_PER_KIND)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="overseer-bench-audit-") as tmp:
        repo = Path(tmp) / "history"
        log(f"history: {commits} commits of {args.repo or args.package} (seed {args.seed})")
        shas = clone_history(args.repo, repo, commits) if args.repo else build_history(repo, commits, args.seed, args.package)
        log(f"  built in {time.perf_counter() - started:.1f} s; auditing, and running the tools directly, commit by commit")
        history = run_history(repo, shas, args.seed)
        print_history(history)
        log(f"\nsecret corpus: {per_kind} samples per kind (seed {args.seed})")
        corpus = run_corpus(Path(tmp) / "corpus", args.seed, per_kind)
        print_corpus(corpus)
    gaps = missed(history, corpus)
    log(f"\ntargets: overhead <= {TARGET_RATIO}x, recall >= detect-secrets', false positives <= detect-secrets': "
        + ("all met" if not gaps else "MISSED: " + "; ".join(gaps)) + f"   ({time.perf_counter() - started:.0f} s in all)")
    log(bench_line(history, corpus))
    if args.check and gaps:
        raise SystemExit(1)
    return history, corpus


if __name__ == "__main__":
    main()
