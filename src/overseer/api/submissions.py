"""Typed submissions: the kinds of work people hand over, each with its own fields, turned into a ``NewTask``.

``POST /api/v1/tasks`` takes one of these when the body's ``type`` names it, else a plain task (``schemas.TaskCreate``).

=============  ========  ==============  ==========  ====================================================
type           kind      work type       complexity  fields
=============  ========  ==============  ==========  ====================================================
PR_REVIEW      review    review          medium      pr_url and/or branch, base, focus
ISSUE_SUMMARY  task      planning        simple      issue_url and/or text
CODE_ANALYSIS  task      review          medium      question, paths
REFACTOR       chore     implementation  medium [1]  goal, paths, constraints
BUG_FIX        bug       implementation  medium      description, steps, expected, actual, file_hints
FEATURE        feature   implementation  medium      description, acceptance, file_hints
=============  ========  ==============  ==========  ====================================================

[1] complex when no paths narrow it, or more than five do. ``complexity`` in the body overrides any of these.
Read-only work (reviews, summaries, analyses) is told to write its answer to a markdown file under ``reports/``, so
the run leaves a change that verification can look at.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, StringConstraints, Tag, ValidationInfo, field_validator

from overseer.api.schemas import NO_NUL, Items, Options, TaskCreate, Text, Title
from overseer.domain import Complexity, TaskKind, WorkType
from overseer.service import NewTask

Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s\x00]+$", max_length=2000)]
Branch = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", max_length=256)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000, pattern=NO_NUL)]
REPORT_DIR = "reports"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-") or "report"


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _section(title: str, content: str | list[str] | None) -> str:
    if not content:
        return ""
    text = "\n".join(f"- {c}" for c in content) if isinstance(content, list) else content.strip()
    return f"## {title}\n\n{text}\n\n"


class Submission(Options):
    """Fields every typed submission shares (``title`` is made from the content when left out)."""

    TYPE: ClassVar[str]
    KIND: ClassVar[TaskKind]
    WORK: ClassVar[WorkType]
    COMPLEXITY: ClassVar[Complexity] = Complexity.MEDIUM
    title: Title | None = None

    def default_title(self) -> str:
        raise NotImplementedError

    def prompt(self, report: str) -> str:
        raise NotImplementedError

    def complexity_guess(self) -> Complexity:
        return self.COMPLEXITY

    def criteria(self) -> tuple[str, ...]:
        """The task's acceptance criteria."""
        return ()

    def hints(self) -> tuple[str, ...]:
        """The task's file hints."""
        return ()

    def report(self, title: str) -> str:
        return f"{REPORT_DIR}/{_slug(title)}.md"

    def new_task(self) -> NewTask:
        title = self.title or self.default_title()
        label = self.TYPE.lower().replace("_", "-")
        opts = self.options()
        opts["labels"] = tuple(dict.fromkeys((label, *opts["labels"])))
        body = self.prompt(self.report(title)).strip() + "\n"
        return NewTask(title=title, body=body, kind=self.KIND.value, work_type=self.WORK,
                       complexity=self.complexity or self.complexity_guess(), acceptance=self.criteria(),
                       file_hints=self.hints(), **opts)


def _one_of(other: str, value: str | None, info: ValidationInfo) -> str | None:
    """Refuse ``value`` missing when ``other`` (declared before it) is missing too; an ``other`` that failed its own
    check is absent from ``info.data`` and already reported."""
    if value is None and other in info.data and info.data[other] is None:
        raise ValueError(f"give {info.field_name} or {other} (at least one)")
    return value


class PrReview(Submission):
    """Review a pull request or a branch against its base."""

    TYPE, KIND, WORK = "PR_REVIEW", TaskKind.REVIEW, WorkType.REVIEW
    type: Literal["PR_REVIEW"]
    branch: Branch | None = Field(default=None, description="The branch to review.")
    pr_url: Url | None = Field(default=None, validate_default=True, description="The pull request, when there is one.")
    base: Branch | None = Field(default=None, description="What it merges into (default: the project's base branch).")
    focus: Items = Field(default=[], description="What to look at hardest (security, error handling…).")

    @field_validator("pr_url")
    @classmethod
    def _pr_or_branch(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _one_of("branch", value, info)

    def default_title(self) -> str:
        return f"Review {self.pr_url or self.branch}"

    def prompt(self, report: str) -> str:
        what = " / ".join(x for x in (f"pull request {self.pr_url}" if self.pr_url else "",
                                      f"branch `{self.branch}`" if self.branch else "") if x)
        base = f"`{self.base}`" if self.base else "the project's base branch"
        return (f"Review {what} against {base}.\n\n" + _section("Focus", self.focus)
                + "Read the whole change, run its tests, and judge correctness, security, error handling, tests and "
                  "readability. Rank each finding by severity (critical, high, medium, low) with file and line.\n\n"
                  f"Write the review as markdown to `{report}`; change nothing else.")


class IssueSummary(Submission):
    """Summarise an issue: what is asked, what is known, what is open, what to do next."""

    TYPE, KIND, WORK, COMPLEXITY = "ISSUE_SUMMARY", TaskKind.TASK, WorkType.PLANNING, Complexity.SIMPLE
    type: Literal["ISSUE_SUMMARY"]
    issue_url: Url | None = Field(default=None, description="Where the issue lives.")
    text: Text | None = Field(default=None, validate_default=True, description="The issue's text (title, body, comments).")

    @field_validator("text")
    @classmethod
    def _url_or_text(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _one_of("issue_url", value, info)

    def default_title(self) -> str:
        return f"Summarise issue {self.issue_url}" if self.issue_url else f"Summarise: {_first_line(self.text or '')}"

    def prompt(self, report: str) -> str:
        source = f"Summarise the issue at {self.issue_url}.\n\n" if self.issue_url else "Summarise the issue below.\n\n"
        return (source + _section("Issue", self.text)
                + "Say in a few lines what is asked, what is already known (with the files involved), what is unclear, "
                  "and the next steps you propose.\n\n"
                  f"Write the summary as markdown to `{report}`; change nothing else.")


class CodeAnalysis(Submission):
    """Answer a question about the code."""

    TYPE, KIND, WORK = "CODE_ANALYSIS", TaskKind.TASK, WorkType.REVIEW
    type: Literal["CODE_ANALYSIS"]
    question: Required
    paths: Items = Field(default=[], description="Where to look (files or directories).")

    def default_title(self) -> str:
        return f"Analyse: {_first_line(self.question)}"

    def hints(self) -> tuple[str, ...]:
        return tuple(self.paths)

    def prompt(self, report: str) -> str:
        return (_section("Question", self.question) + _section("Where to look", self.paths)
                + "Answer from the code itself: cite files and lines, and say what you could not verify.\n\n"
                  f"Write the answer as markdown to `{report}`; change nothing else.")


class Refactor(Submission):
    """Restructure code without changing what it does."""

    TYPE, KIND, WORK = "REFACTOR", TaskKind.CHORE, WorkType.IMPLEMENTATION
    type: Literal["REFACTOR"]
    goal: Required
    paths: Items = Field(default=[], description="The code to restructure.")
    constraints: Items = Field(default=[], description="What must not change (public API, file layout…).")

    def default_title(self) -> str:
        return f"Refactor: {_first_line(self.goal)}"

    def complexity_guess(self) -> Complexity:
        return Complexity.COMPLEX if not self.paths or len(self.paths) > 5 else Complexity.MEDIUM

    def hints(self) -> tuple[str, ...]:
        return tuple(self.paths)

    def criteria(self) -> tuple[str, ...]:
        return ("behaviour is unchanged: the existing tests pass without being weakened", *self.constraints)

    def prompt(self, report: str) -> str:
        return (_section("Goal", self.goal) + _section("Code", self.paths) + _section("Constraints", self.constraints)
                + "Change structure only, in small steps; keep every existing test passing and do not weaken any.")


class BugFix(Submission):
    """Fix a bug: reproduce it, fix the cause, prove it with a test."""

    TYPE, KIND, WORK = "BUG_FIX", TaskKind.BUG, WorkType.IMPLEMENTATION
    type: Literal["BUG_FIX"]
    description: Required
    steps: Items = Field(default=[], description="Steps that reproduce it.")
    expected: Text | None = None
    actual: Text | None = None
    file_hints: Items = Field(default=[], description="Files likely involved.")

    def default_title(self) -> str:
        return f"Fix: {_first_line(self.description)}"

    def hints(self) -> tuple[str, ...]:
        return tuple(self.file_hints)

    def criteria(self) -> tuple[str, ...]:
        return ("a test reproduces the bug and fails before the fix", "the test passes after the fix; no other test breaks")

    def prompt(self, report: str) -> str:
        steps = "\n".join(f"{i}. {s}" for i, s in enumerate(self.steps, 1))
        return (_section("Bug", self.description) + _section("Steps to reproduce", steps) + _section("Expected", self.expected)
                + _section("Actual", self.actual) + _section("Files likely involved", self.file_hints)
                + "Reproduce it with a failing test first, then fix the cause (not the symptom).")


class Feature(Submission):
    """Build something new, done when its acceptance criteria hold."""

    TYPE, KIND, WORK = "FEATURE", TaskKind.FEATURE, WorkType.IMPLEMENTATION
    type: Literal["FEATURE"]
    description: Required
    acceptance: Items = Field(default=[], description="When it is done.")
    file_hints: Items = Field(default=[], description="Where it probably goes.")

    def default_title(self) -> str:
        return f"Feature: {_first_line(self.description)}"

    def criteria(self) -> tuple[str, ...]:
        return tuple(self.acceptance)

    def hints(self) -> tuple[str, ...]:
        return tuple(self.file_hints)

    def prompt(self, report: str) -> str:
        return (_section("Feature", self.description) + _section("Acceptance criteria", self.acceptance)
                + _section("Where it probably goes", self.file_hints)
                + "Build it with tests that show each acceptance criterion holds.")


SUBMISSIONS: dict[str, type[Submission]] = {c.TYPE: c for c in (PrReview, IssueSummary, CodeAnalysis, Refactor, BugFix, Feature)}
TYPES = ("task", *SUBMISSIONS)


def type_of(value: Any) -> str:
    """The union's tag: the body's ``type``, ``"task"`` when it has none (a plain task)."""
    found = value.get("type", "task") if isinstance(value, dict) else getattr(value, "type", "task")
    return found if isinstance(found, str) else repr(found)


NewTaskBody = Annotated[
    Annotated[TaskCreate, Tag("task")] | Annotated[PrReview, Tag("PR_REVIEW")] | Annotated[IssueSummary, Tag("ISSUE_SUMMARY")]
    | Annotated[CodeAnalysis, Tag("CODE_ANALYSIS")] | Annotated[Refactor, Tag("REFACTOR")] | Annotated[BugFix, Tag("BUG_FIX")]
    | Annotated[Feature, Tag("FEATURE")],
    Discriminator(type_of, custom_error_type="unknown_type",
                  custom_error_message=f"unknown type: give one of {', '.join(TYPES)} (or leave it out for a plain task)"),
]
