from __future__ import annotations

from pathlib import Path

import pytest

from overseer.config.verify import DiffConfig, ReviewConfig, VerifyConfig
from overseer.domain import ValidationError
from overseer.domain.verification import Finding, Severity, StageResult, StageStatus, Verdict, verdict_for
from overseer.ports import CheckContext, ModelCall, ModelReply
from overseer.verify import STAGES, DiffStage, Pipeline, SecretsStage, StaticStage, TestsStage, build_stages, context_for
from tests.verify.conftest import Repo


class Explodes:
    name = "explodes"

    def run(self, ctx: CheckContext) -> StageResult:
        raise KeyError("no such column")


class Records:
    """A stage that notes it ran and returns what it was given."""

    def __init__(self, name: str, status: StageStatus = StageStatus.PASSED, findings: tuple[Finding, ...] = ()) -> None:
        self.name, self.status, self.findings, self.calls = name, status, findings, 0

    def run(self, ctx: CheckContext) -> StageResult:
        self.calls += 1
        return StageResult(self.name, self.status, self.findings, detail=f"{self.name} said {self.status.value}")


class NoModel:
    """A model gateway for building the review stage; these tests never call it."""

    def complete(self, call: ModelCall) -> ModelReply:
        raise AssertionError("the review is not run here")


def test_the_pipeline_stops_at_the_first_blocking_failure_and_marks_the_rest_skipped(repo: Repo) -> None:
    later = Records("static")
    pipeline = Pipeline([DiffStage(), later, TestsStage()])
    results = pipeline.run(repo.ctx(repo.head, repo.head))
    assert [(r.stage, r.status) for r in results] == [("diff", StageStatus.FAILED), ("static", StageStatus.SKIPPED),
                                                      ("tests", StageStatus.SKIPPED)]
    assert results[1].detail == results[2].detail == "not run: diff failed"
    assert later.calls == 0
    assert verdict_for(results) == Verdict.NEEDS_CHANGES


def test_a_stage_that_raises_becomes_an_error_and_the_verdict_asks_for_guidance(repo: Repo) -> None:
    results = Pipeline([Records("diff"), Explodes(), Records("tests")]).run(repo.ctx(repo.head, repo.head))
    assert [r.status for r in results] == [StageStatus.PASSED, StageStatus.ERROR, StageStatus.SKIPPED]
    assert results[1].detail == "internal error: KeyError: 'no such column'"
    assert results[2].detail == "not run: explodes error"
    assert verdict_for(results) == Verdict.NEEDS_GUIDANCE


def test_findings_below_high_do_not_stop_the_pipeline() -> None:
    minor = Finding("static", Severity.MEDIUM, "LINT", "line too long", file="a.py", line=3)
    stages = [Records("static", findings=(minor,)), Records("tests")]
    seen: list[str] = []
    ctx = CheckContext(workdir=Path("."), base_commit="a", head_commit="b")
    results = Pipeline(stages).run(ctx, on_stage=lambda r: seen.append(r.stage))
    assert seen == ["static", "tests"] and all(s.calls == 1 for s in stages)
    assert verdict_for(results) == Verdict.APPROVED_MINOR
    assert all(r.duration_s >= 0 for r in results)


def test_a_good_change_passes_every_real_stage(repo: Repo) -> None:
    ctx = repo.change({"calc.py": (repo.path / "calc.py").read_text() + "\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n",
                       "tests/test_mul.py": "from calc import mul\n\n\ndef test_mul() -> None:\n    assert mul(2, 3) == 6\n"})
    results = Pipeline(build_stages(VerifyConfig())).run(ctx)
    assert [r.stage for r in results] == ["diff", "static", "secrets", "tests"]
    assert [r.status for r in results] == [StageStatus.PASSED] * 4, [r.detail for r in results]
    assert verdict_for(results).lands
    assert results[3].metrics["tests_passed"] == 3


def test_a_leaked_key_stops_the_real_pipeline_before_the_tests(repo: Repo) -> None:
    key = "AKIA" + "Q7XK3M2PLR4TWZ9B"
    results = Pipeline(build_stages(VerifyConfig())).run(repo.change({"conf.py": f'KEY = "{key}"\n'}))
    assert [(r.stage, r.status) for r in results] == [("diff", StageStatus.PASSED), ("static", StageStatus.PASSED),
                                                      ("secrets", StageStatus.FAILED), ("tests", StageStatus.SKIPPED)]
    assert results[2].findings[0].severity == Severity.CRITICAL


def test_context_for_lists_the_changed_files_and_keeps_the_task_fields(repo: Repo) -> None:
    base, head = repo.commit({"b.py": "x = 1\n", "a.py": "y = 2\n", "calc.py": None})
    ctx = context_for(repo.path, base, head, task_id="ov-1", title="add a and b")
    assert ctx.files == ("a.py", "b.py") and ctx.task_id == "ov-1" and ctx.title == "add a and b"


def test_stages_are_built_in_the_configured_order_with_their_own_config() -> None:
    config = VerifyConfig(stages=["secrets", "diff", "tests"], diff=DiffConfig(max_files=7))
    stages = build_stages(config)
    assert [type(s) for s in stages] == [SecretsStage, DiffStage, TestsStage]
    assert isinstance(stages[1], DiffStage) and stages[1].config.max_files == 7
    assert [s.name for s in build_stages(config, names=["static"])] == ["static"]
    assert isinstance(build_stages(config, names=["static"])[0], StaticStage)


def test_the_review_is_left_out_without_a_gateway_or_when_disabled() -> None:
    assert "review" not in [s.name for s in build_stages(VerifyConfig())]
    assert "review" not in [s.name for s in build_stages(VerifyConfig(review=ReviewConfig(enabled=False)), gateway=NoModel())]
    assert [s.name for s in build_stages(VerifyConfig(), gateway=NoModel())][-1] == "review"


def test_every_registered_stage_loads_and_an_unknown_one_is_refused() -> None:
    assert set(STAGES) == {"diff", "static", "secrets", "tests", "review"}
    with pytest.raises(ValidationError, match=r"unknown stage 'lint' \(stages: diff, static, secrets, tests, review\)"):
        build_stages(VerifyConfig(), names=["lint"])
