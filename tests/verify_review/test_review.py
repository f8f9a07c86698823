"""The LLM review stage: the reply parser on its own, the stage on a real git repository through a scripted gateway,
and once end to end through the routed gateway, LiteLLM and the scripted model server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from overseer.config import OverseerConfig
from overseer.config.verify import ReviewConfig
from overseer.domain.errors import ModelError, QuotaExhausted
from overseer.domain.verification import Severity, StageStatus, Verdict, verdict_for
from overseer.llm.prices import StaticPrices
from overseer.llm.transport import LiteLLMTransport
from overseer.modelserver import Script, ScriptedModelServer, Text
from overseer.ports import CheckContext, ModelCall, ModelReply
from overseer.scheduler import QuotaBook, Router
from overseer.scheduler.gateway import RoutedGateway
from overseer.store.memory import InMemoryStore
from overseer.verify.review import ReviewParseError, ReviewStage, parse_review

REVIEW = {"verdict": "needs_changes", "summary": "Division by zero is not handled.",
          "findings": [{"severity": "high", "file": "calc.py", "line": 2, "message": "divide(1, 0) raises ZeroDivisionError",
                        "suggestion": "check b before dividing"},
                       {"severity": "low", "file": "calc.py", "line": None, "message": "no docstring", "suggestion": ""}]}
APPROVED = {"verdict": "approved", "summary": "Looks right.", "findings": []}


# -- the parser ----------------------------------------------------------------------------------------------------


def test_a_plain_json_reply_parses_into_a_verdict_summary_and_review_findings() -> None:
    review = parse_review(json.dumps(REVIEW))
    assert (review.verdict, review.summary, review.blocks) == (Verdict.NEEDS_CHANGES, "Division by zero is not handled.", True)
    high, low = review.findings
    assert (high.stage, high.type, high.severity, high.where) == ("review", "REVIEW", Severity.HIGH, "calc.py:2")
    assert high.remediation == "check b before dividing" and high.message == "divide(1, 0) raises ZeroDivisionError"
    assert (low.severity, low.line, low.remediation) == (Severity.LOW, None, None)


def test_a_reply_in_a_json_fence_parses() -> None:
    assert parse_review(f"```json\n{json.dumps(APPROVED, indent=2)}\n```").verdict == Verdict.APPROVED


def test_a_reply_wrapped_in_prose_with_stray_braces_parses_the_first_object_with_a_verdict() -> None:
    text = (f"Here is my review of {{the change}}. Note {{\"x\": 1}} is unrelated.\n{json.dumps(REVIEW)}\n"
            f"And a second opinion: {json.dumps(APPROVED)}")
    review = parse_review(text)
    assert review.verdict == Verdict.NEEDS_CHANGES and len(review.findings) == 2


def test_trailing_junk_after_the_object_is_ignored() -> None:
    assert parse_review(json.dumps(APPROVED) + "}}\n```\nthanks!").verdict == Verdict.APPROVED


def test_a_verdict_written_with_spaces_or_capitals_is_read_and_missing_findings_mean_none() -> None:
    review = parse_review('{"verdict": "Approved Minor", "summary": "fine"}')
    assert (review.verdict, review.findings, review.blocks) == (Verdict.APPROVED_MINOR, (), False)


def test_braces_inside_strings_do_not_confuse_the_parser() -> None:
    finding = {"severity": "medium", "file": "a.py", "line": 3, "message": "the dict literal {} here shadows }{", "suggestion": "x"}
    review = parse_review("Review: " + json.dumps({"verdict": "approved_minor", "summary": "ok", "findings": [finding]}))
    assert review.findings[0].message == "the dict literal {} here shadows }{"


@pytest.mark.parametrize(("text", "why"), [
    ("", "the reply is empty"),
    ("Looks good to me! Ship it.", 'no JSON object with a "verdict"'),
    ('{"verdict": "approved", "summary": "ok",', 'no JSON object with a "verdict"'),
    ("{'verdict': 'approved'}", 'no JSON object with a "verdict"'),
    ('{"summary": "ok", "findings": []}', 'the object has no "verdict"'),
    ('{"verdict": "lgtm", "findings": []}', "unknown verdict 'lgtm'"),
    ('{"verdict": "approved", "findings": [{"severity": "blocker", "message": "m"}]}', "findings[0]: unknown severity 'blocker'"),
    ('{"verdict": "approved", "findings": [{"message": "m"}]}', "findings[0]: unknown severity ''"),
    ('{"verdict": "approved", "findings": [{"severity": "low", "message": "m", "line": "12"}]}', "findings[0]: \"line\" must be"),
    ('{"verdict": "approved", "findings": [{"severity": "low", "message": "m", "line": true}]}', "findings[0]: \"line\" must be"),
    ('{"verdict": "approved", "findings": [{"severity": "low"}]}', 'findings[0] has no "message"'),
    ('{"verdict": "approved", "findings": ["bad"]}', "findings[0] must be an object"),
    ('{"verdict": "approved", "findings": {"severity": "low"}}', '"findings" must be a list'),
    ('{"verdict": "approved", "summary": 3}', '"summary" must be a string'),
])
def test_a_reply_that_is_not_a_sure_review_is_refused_saying_why(text: str, why: str) -> None:
    with pytest.raises(ReviewParseError) as caught:
        parse_review(text)
    assert why in str(caught.value)


# -- the stage through a scripted gateway ----------------------------------------------------------------------------


class ScriptedGateway:
    """A ``ModelGateway`` that answers ``text`` (or raises ``error``) and keeps every call."""

    def __init__(self, text: str = "", error: Exception | None = None) -> None:
        self.text, self.error = text, error
        self.calls: list[ModelCall] = []

    def complete(self, call: ModelCall) -> ModelReply:
        self.calls.append(call)
        if self.error is not None:
            raise self.error
        return ModelReply(self.text, "reviewer", "big", "openai/strong-model", tokens_in=1200, tokens_out=150, cost_usd=0.0081)


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def change(tmp_path: Path) -> CheckContext:
    """A repository with a base commit and one that adds ``divide`` to ``calc.py``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef divide(a, b):\n    return a / b  # ```\n")
    git(repo, "commit", "-qam", "add divide")
    return CheckContext(workdir=repo, base_commit=base, head_commit=git(repo, "rev-parse", "HEAD"), files=("calc.py",), task_id="t-7",
                        title="Add divide", body="A divide function for the calculator.", acceptance=("divide(1, 0) is handled",))


def test_the_review_call_carries_the_task_the_criteria_and_the_diff_as_a_review_with_the_emergency_reserve(change: CheckContext) -> None:
    gateway = ScriptedGateway(json.dumps(APPROVED))
    ReviewStage(ReviewConfig(profile="reviewer"), gateway).run(change)
    [call] = gateway.calls
    assert (call.work_type, call.complexity, call.purpose, call.task_id, call.emergency, call.profile) == (
        "review", "medium", "review", "t-7", True, "reviewer")
    system, user = call.messages
    assert system["role"] == "system" and "ONLY one JSON object" in system["content"] and '"verdict"' in system["content"]
    assert "# Task t-7: Add divide" in user["content"] and "A divide function" in user["content"]
    assert "- divide(1, 0) is handled" in user["content"] and "+def divide(a, b):" in user["content"]
    assert "````diff\n" in user["content"]  # a fence longer than the diff's own ``` run
    assert "TRUNCATED" not in user["content"]


def test_a_blocking_review_fails_the_stage_with_its_findings_cost_and_model(change: CheckContext) -> None:
    result = ReviewStage(ReviewConfig(), ScriptedGateway("Sure.\n```json\n" + json.dumps(REVIEW) + "\n```")).run(change)
    assert (result.stage, result.status, result.verdict) == ("review", StageStatus.FAILED, Verdict.NEEDS_CHANGES)
    assert [(f.severity, f.where, f.remediation) for f in result.findings] == [
        (Severity.HIGH, "calc.py:2", "check b before dividing"), (Severity.LOW, "calc.py", None)]
    assert result.detail == "Division by zero is not handled. (reviewer/openai/strong-model, 1200+150 tokens, $0.0081)"
    assert result.tools == {"model": "openai/strong-model"} and result.metrics["cost_usd"] == pytest.approx(0.0081)
    assert verdict_for([result]) == Verdict.NEEDS_CHANGES


def test_an_approval_with_a_high_finding_still_fails_the_stage(change: CheckContext) -> None:
    reply = {"verdict": "approved", "summary": "ok", "findings": [{"severity": "critical", "file": "calc.py", "line": 5, "message": "m"}]}
    result = ReviewStage(ReviewConfig(), ScriptedGateway(json.dumps(reply))).run(change)
    assert result.status == StageStatus.FAILED and verdict_for([result]) == Verdict.NEEDS_CHANGES


def test_an_approval_with_minor_findings_passes_and_lands_as_approved_minor(change: CheckContext) -> None:
    minor = {"severity": "medium", "file": "calc.py", "line": 5, "message": "m"}
    reply = {"verdict": "approved_minor", "summary": "fine", "findings": [minor]}
    result = ReviewStage(ReviewConfig(), ScriptedGateway(json.dumps(reply))).run(change)
    assert (result.status, result.verdict, verdict_for([result])) == (StageStatus.PASSED, Verdict.APPROVED_MINOR, Verdict.APPROVED_MINOR)


def test_a_reviewer_asking_for_a_person_reaches_the_verdict_as_needs_guidance(change: CheckContext) -> None:
    reply = {"verdict": "needs_guidance", "summary": "The task does not say what divide(1, 0) should return.", "findings": []}
    result = ReviewStage(ReviewConfig(), ScriptedGateway(json.dumps(reply))).run(change)
    assert (result.status, result.verdict, verdict_for([result])) == (StageStatus.PASSED, Verdict.NEEDS_GUIDANCE, Verdict.NEEDS_GUIDANCE)


def test_a_reply_that_cannot_be_parsed_is_an_error_showing_why_and_the_start_of_the_reply_never_a_pass(change: CheckContext) -> None:
    result = ReviewStage(ReviewConfig(), ScriptedGateway("LGTM! " + "x" * 500)).run(change)
    assert result.status == StageStatus.ERROR and result.blocks and verdict_for([result]) == Verdict.NEEDS_GUIDANCE
    assert result.detail.startswith('the review reply could not be parsed: no JSON object with a "verdict" in the reply; '
                                    "first 200 chars: 'LGTM! xxx")
    assert "x" * 194 + "'" in result.detail and "x" * 195 not in result.detail  # 6 + 194 = 200 characters
    assert result.metrics["cost_usd"] == pytest.approx(0.0081)  # the call was paid for all the same


@pytest.mark.parametrize(("error", "said"), [
    (QuotaExhausted("no provider has room for review", tried=["strong: window full"]), "no model could take the review: no provider"),
    (ModelError("every profile on the chain failed"), "the review call failed: every profile on the chain failed"),
    (RuntimeError("socket closed"), "the review call raised RuntimeError: socket closed"),
])
def test_a_gateway_that_cannot_answer_makes_the_stage_an_error_with_the_reason(change: CheckContext, error: Exception, said: str) -> None:
    result = ReviewStage(ReviewConfig(), ScriptedGateway(error=error)).run(change)
    assert result.status == StageStatus.ERROR and result.detail.startswith(said) and result.findings == ()


def test_a_diff_longer_than_the_limit_is_cut_at_a_line_and_the_prompt_says_so(change: CheckContext) -> None:
    (change.workdir / "big.txt").write_text("".join(f"line {i:05d} of a long generated file\n" for i in range(400)))
    git(change.workdir, "add", "-A")
    git(change.workdir, "commit", "-qm", "big")
    ctx = CheckContext(workdir=change.workdir, base_commit=change.base_commit, head_commit=git(change.workdir, "rev-parse", "HEAD"))
    gateway = ScriptedGateway(json.dumps(APPROVED))
    result = ReviewStage(ReviewConfig(max_diff_chars=2000), gateway).run(ctx)
    user = gateway.calls[0].messages[1]["content"]
    assert "The diff is TRUNCATED: showing the first" in user and "line 00399" not in user
    diff = user.split("diff\n", 1)[1]
    assert len(diff) < 2100 and diff.rstrip("`\n").endswith("file")  # whole lines only
    assert result.detail.endswith(", diff truncated)")


def test_an_empty_change_is_skipped_without_asking_the_model(change: CheckContext) -> None:
    gateway = ScriptedGateway(json.dumps(APPROVED))
    ctx = CheckContext(workdir=change.workdir, base_commit=change.head_commit, head_commit=change.head_commit)
    result = ReviewStage(ReviewConfig(), gateway).run(ctx)
    assert result.status == StageStatus.SKIPPED and gateway.calls == [] and "empty" in result.detail


def test_a_disabled_review_is_skipped_without_asking_the_model(change: CheckContext) -> None:
    gateway = ScriptedGateway(json.dumps(APPROVED))
    result = ReviewStage(ReviewConfig(enabled=False), gateway).run(change)
    assert result.status == StageStatus.SKIPPED and gateway.calls == []


def test_a_commit_git_does_not_know_is_an_error_naming_the_git_command(change: CheckContext) -> None:
    ctx = CheckContext(workdir=change.workdir, base_commit="0" * 40, head_commit=change.head_commit)
    gateway = ScriptedGateway(json.dumps(APPROVED))
    result = ReviewStage(ReviewConfig(), gateway).run(ctx)
    assert result.status == StageStatus.ERROR and "could not read the diff to review" in result.detail and "git -C" in result.detail
    assert gateway.calls == []


# -- end to end: routed gateway, LiteLLM, scripted model server ------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(Script()) as srv:
        yield srv


def routed_gateway(base_url: str) -> RoutedGateway:
    profile: dict[str, Any] = {"harness": "command", "provider": "big", "model": "strong-model",
                               "options": {"litellm_model": "openai/strong-model", "api_base": base_url + "/v1", "env_key": "TEST_KEY"}}
    cfg = OverseerConfig.model_validate({
        "profiles": {"strong": profile},
        "providers": {"big": {"kind": "subscription", "windows": [{"limit": 10, "unit": "requests", "length": "5h"}]}},
        "routing": {"rules": [{"chain": ["strong"]}]},
    })
    store = InMemoryStore()
    return RoutedGateway(cfg, Router.from_config(cfg), QuotaBook(store, cfg.providers), LiteLLMTransport(),
                         StaticPrices({"openai/strong-model": (1e-5, 3e-5)}), {"TEST_KEY": "sk-test"}.get)


def test_through_the_real_gateway_garbage_is_an_error_and_a_json_review_becomes_findings(
        server: ScriptedModelServer, change: CheckContext) -> None:
    stage = ReviewStage(ReviewConfig(), routed_gateway(server.base_url))
    server.script.add(Text("I think this is mostly fine, but I'd rather not say."))
    garbage = stage.run(change)
    assert garbage.status == StageStatus.ERROR and "could not be parsed" in garbage.detail and "I think this is mostly" in garbage.detail

    server.script.add(Text("Here you go:\n```json\n" + json.dumps(REVIEW) + "\n```"))
    judged = stage.run(change)
    assert (judged.status, judged.verdict) == (StageStatus.FAILED, Verdict.NEEDS_CHANGES)
    assert [f.where for f in judged.findings] == ["calc.py:2", "calc.py"] and judged.tools == {"model": "openai/strong-model"}
    assert judged.metrics["cost_usd"] > 0 and "(strong/openai/strong-model, " in judged.detail
    sent = server.requests_to("/v1/chat/completions")[-1].body["messages"]
    assert sent[0]["role"] == "system" and "+def divide(a, b):" in sent[1]["content"]
