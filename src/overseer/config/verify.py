"""``verify:``, ``landing:`` and ``notify:`` in overseer.yaml: the checks a finished run passes before it lands, where it
lands, and who hears about it. Every key has a default that needs no config."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

STAGES = ("diff", "static", "secrets", "tests", "review")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiffConfig(_Strict):
    allow_empty: bool = Field(default=False, description="a run that changes nothing passes (else it fails diff sanity)")
    allowed_paths: list[str] = Field(default=[], description="globs a change may touch; empty: anywhere")
    max_files: int = Field(default=200, ge=1)
    max_lines: int = Field(default=5000, ge=1, description="insertions + deletions")
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    allow_binary: bool = False


class StaticConfig(_Strict):
    ruff: bool | None = Field(default=None, description="None: run when Python files changed and ruff is installed")
    bandit: bool | None = None
    shellcheck: bool | None = None
    timeout_seconds: float = Field(default=300.0, gt=0)


class SecretsConfig(_Strict):
    enabled: bool = True
    detect_secrets: bool | None = Field(default=None, description="None: use detect-secrets when installed; the built-in rules always run")


class TestsConfig(_Strict):
    command: str | None = Field(default=None, description="shell command run in the worktree; None: auto-detect (pytest)")
    timeout_seconds: float = Field(default=600.0, gt=0, description="the process group is killed at this and the stage reports TIMEOUT")
    coverage_floor: float | None = Field(default=None, ge=0, le=100, description="percent; runs the tests under coverage")
    coverage: bool = Field(default=False, description="measure coverage even without a floor, when coverage is installed")
    env: dict[str, str] = {}


class ReviewConfig(_Strict):
    enabled: bool = True
    profile: str | None = Field(default=None, description="pin the review to one profile; default: routed as a review task")
    max_diff_chars: int = Field(default=60_000, ge=1000)


class VerifyConfig(_Strict):
    stages: list[str] = Field(default=list(STAGES), description="in order, cheap to expensive; the first blocking failure stops them")
    diff: DiffConfig = DiffConfig()
    static: StaticConfig = StaticConfig()
    secrets: SecretsConfig = SecretsConfig()
    tests: TestsConfig = TestsConfig()
    review: ReviewConfig = ReviewConfig()

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, stages: list[str]) -> list[str]:
        for s in stages:
            if s not in STAGES:
                raise ValueError(f"unknown stage {s!r} (stages: {', '.join(STAGES)})")
        return stages


class LandingConfig(_Strict):
    target: str = Field(default="overseer/integration/{base}", description="where a task outside any epic lands; {base}: the base branch")
    epic_branch: str = Field(default="overseer/epic/{epic}", description="an epic's integration branch, created from the base branch")
    epic_approval: bool = Field(default=True, description="merging a finished epic into the base branch waits for `overseer approve EPIC`")
    epic_review: bool = Field(default=True, description="an LLM review of the whole integration diff before the gate")
    approve_each: bool = Field(default=False, description="every verified task waits for `overseer approve` before it lands "
                                                          "(as if each had the `land` gate)")
    retest_when_moved: bool = Field(default=True, description="run the tests again on the merge when the target moved since the run began")
    remote: str | None = Field(default=None, description="push the base branch here after an approved epic merge")


DEFAULT_NOTICES = ("audit_critical", "escalated", "budget_exhausted", "window_exhausted", "failed", "needs_guidance", "epic_ready",
                   "summary")
NOTICE_KINDS = (*DEFAULT_NOTICES, "landed")


class NotifyConfig(_Strict):
    urls: list[str] = Field(default=[], description="Apprise URLs (slack://, mailto://, json://host/path, ...); ${VAR} is expanded")
    events: list[str] = Field(default=list(DEFAULT_NOTICES), description="which notices are sent")
    timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        for e in events:
            if e not in NOTICE_KINDS:
                raise ValueError(f"unknown notice {e!r} (notices: {', '.join(NOTICE_KINDS)})")
        return events


class AuditConfig(_Strict):
    """``audit:``: the commit auditor (``overseer audit``). Its stages take their settings from ``verify:``, except the
    test timeout, which is its own (a hung suite is killed after 5 minutes by default)."""

    stages: list[str] = Field(default=["secrets", "static", "tests"], description="secrets, static, tests (in this order)")
    poll_seconds: float = Field(default=2.0, gt=0, description="how often git is asked for new commits")
    debounce_seconds: float = Field(default=30.0, ge=0, description="quiet time after the last file change before uncommitted "
                                                                    "work is audited")
    test_timeout_seconds: float = Field(default=300.0, gt=0)
    coverage: bool = Field(default=True, description="measure coverage of pytest suites when coverage is installed")
    coverage_drop: float = Field(default=1.0, ge=0, description="points of coverage lost since the last audit that make a MEDIUM finding")
    inbox: str = Field(default="tasks/supervisor_feedback", description="feedback folder, relative to the repository")
    feedback_at: str = Field(default="high", description="one inbox file per finding at or above this severity")
    summary_at: str = Field(default="medium", description="findings at or above this (and below feedback_at) go into one summary file")
    fail_at: str = Field(default="high", description="a report is FAIL when a finding is at or above this")
    file_tasks: bool = Field(default=False, description="file a fix task in the graph for each new CRITICAL or HIGH finding")
    nice: int = Field(default=10, ge=0, le=19, description="CPU priority offset of the watcher and its checks")

    @field_validator("stages")
    @classmethod
    def _known(cls, stages: list[str]) -> list[str]:
        for s in stages:
            if s not in ("secrets", "static", "tests"):
                raise ValueError(f"unknown audit stage {s!r} (stages: secrets, static, tests)")
        return stages

    @field_validator("feedback_at", "summary_at", "fail_at")
    @classmethod
    def _severity(cls, value: str) -> str:
        if value not in ("critical", "high", "medium", "low", "info"):
            raise ValueError(f"unknown severity {value!r} (critical, high, medium, low, info)")
        return value
