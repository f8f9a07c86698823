"""What every harness adapter shares: option reading, the parser skeleton and tolerant JSON helpers.

A parser never raises on what a harness prints: a line that is not what it expects becomes a
``TextEvent(role="raw")``; a line it cannot even read is kept the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from overseer.domain import ValidationError, utcnow
from overseer.domain.runs import AgentEvent, ErrorEvent, RateLimit, Result, TextEvent
from overseer.ports import RunSpec

__all__ = [
    "Clock",
    "HarnessBase",
    "LineParser",
    "as_dict",
    "as_float",
    "as_int",
    "as_str",
    "clean_line",
    "error_event",
    "http_status",
    "is_rate_limit",
    "json_object",
    "merged_options",
    "option_bool",
    "option_float",
    "option_int",
    "option_str",
    "retry_after_seconds",
]

Clock = Callable[[], datetime]

_SURROGATE = re.compile("[\ud800-\udfff]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
_RATE_WORDS = re.compile(r"\b429\b|rate[ _-]?limit|too many requests|resource[ _]exhausted|quota", re.IGNORECASE)
_STATUS = re.compile(
    r"(?:status(?: code)?|code|error)[:\s\"=]*\(?([45]\d\d)\b|\b([45]\d\d)\b(?= (?:too many|internal|bad|service|unauthorized))", re.I
)
_RETRY_AFTER = re.compile(
    r"(?:retry|try again)\s+(?:after|in)\s+(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|min|minutes?)?\b", re.IGNORECASE
)


# -- options -------------------------------------------------------------------------------------------
def merged_options(profile: Mapping[str, Any], spec: RunSpec) -> dict[str, Any]:
    """The profile's options with the run's own options over them."""
    return {**profile, **spec.options}


def option_str(options: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value = options.get(key, default)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Path):
        return str(value)
    raise ValidationError(f"options.{key}", f"must be a string, got {value!r}; fix the profile's options in overseer.yaml")


def option_int(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"options.{key}", f"must be a whole number, got {value!r}; fix the profile's options in overseer.yaml")
    return value


def option_float(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"options.{key}", f"must be a number, got {value!r}; fix the profile's options in overseer.yaml")
    return float(value)


def option_bool(options: Mapping[str, Any], key: str, default: bool) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(f"options.{key}", f"must be true or false, got {value!r}; fix the profile's options in overseer.yaml")
    return value


class HarnessBase:
    """Holds the profile's options; subclasses set ``name``, ``binary`` and ``credential_env``."""

    name: str = ""
    binary: str = ""
    credential_env: tuple[str, ...] = ()

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})

    def base_url(self, spec: RunSpec, *env_names: str) -> str | None:
        """``options["base_url"]`` of the run or profile, else the first of ``env_names`` the profile sets."""
        url = option_str(merged_options(self.options, spec), "base_url")
        if url:
            return url.rstrip("/")
        return next((spec.env[n].rstrip("/") for n in env_names if spec.env.get(n)), None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(options={self.options!r})"


class OpenAICompatible(HarnessBase):
    """A harness that authenticates like OpenAI clients: by the variable ``options["env_key"]`` (default OPENAI_API_KEY)."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.credential_env = (option_str(self.options, "env_key", "OPENAI_API_KEY") or "OPENAI_API_KEY",)


# -- reading output --------------------------------------------------------------------------------------
def clean_line(line: str | bytes) -> str:
    """One output line as text: bytes decoded leniently, ANSI escapes and the line ending removed."""
    text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    text = _SURROGATE.sub("\ufffd", text)  # lone surrogates (from surrogateescape decoding) cannot be encoded later
    return _ANSI.sub("", text).rstrip("\r\n")


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object on this line, or None when the line is anything else."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value:  # not NaN
        return int(value)
    return 0


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def is_rate_limit(text: str, status: int | None = None) -> bool:
    return status == 429 or bool(_RATE_WORDS.search(text))


def http_status(text: str) -> int | None:
    """The HTTP status an error message names (``status: 429``, ``code: 500``, ``429 Too Many Requests``)."""
    found = _STATUS.search(text)
    if found is None:
        return None
    return int(found.group(1) or found.group(2))


def retry_after_seconds(text: str) -> float | None:
    """Seconds from "retry after 30s" / "try again in 2 minutes" in an error message, if it says."""
    found = _RETRY_AFTER.search(text)
    if found is None:
        return None
    amount, unit = float(found.group(1)), (found.group(2) or "s").lower()
    if unit.startswith("ms") or unit.startswith("milli"):
        return amount / 1000
    if unit.startswith("m"):
        return amount * 60
    return amount


def error_event(message: str, status: int | None, clock: Clock, reset_in: float | None = None) -> RateLimit | ErrorEvent:
    """A ``RateLimit`` when the message or status says so (reset time when known), else an ``ErrorEvent``."""
    status = status if status is not None else http_status(message)
    if not is_rate_limit(message, status):
        return ErrorEvent(message, status=status)
    seconds = reset_in if reset_in is not None else retry_after_seconds(message)
    reset_at = clock() + timedelta(seconds=seconds) if seconds is not None else None
    return RateLimit(message, reset_at=reset_at, status=status if status is not None else 429)


class LineParser:
    """Skeleton of a ``StreamParser``: never raises, and ends with exactly one ``Result`` (the first one parsed, else
    one made at ``finish``). Subclasses implement ``parse`` (one cleaned, non-blank line) and may add ``close``."""

    harness = "harness"

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self.result: Result | None = None

    def feed(self, line: str) -> list[AgentEvent]:
        text = clean_line(line)
        if not text.strip():
            return []
        try:
            events = self.parse(text)
        except Exception:  # a shape this parser did not foresee: keep the line, lose nothing, never crash the run
            return [TextEvent(text, role="raw")]
        results = [e for e in events if isinstance(e, Result)]
        if results and (self.result is not None or len(results) > 1):  # one run, one result: the first one counts
            events = [e for e in events if not isinstance(e, Result) or (self.result is None and e is results[0])]
            events.append(TextEvent(text, role="raw"))
        self.result = self.result or next((e for e in events if isinstance(e, Result)), None)
        return events

    def finish(self, exit_code: int | None) -> list[AgentEvent]:
        try:
            events = self.close(exit_code)
        except Exception:
            events = []
        if self.result is not None:
            return [e for e in events if not isinstance(e, Result)]
        if not any(isinstance(e, Result) for e in events):
            events.append(Result(success=False, text=self.missing_result(exit_code)))
        self.result = next(e for e in events if isinstance(e, Result))
        return [e for e in events if not isinstance(e, Result) or e is self.result]

    def parse(self, text: str) -> list[AgentEvent]:
        raise NotImplementedError

    def close(self, exit_code: int | None) -> list[AgentEvent]:
        """What the harness still owes when its output ends (default: nothing)."""
        return []

    def missing_result(self, exit_code: int | None) -> str:
        how = "was stopped" if exit_code is None else f"exited with code {exit_code}"
        return f"{self.harness} {how} without reporting a result"
