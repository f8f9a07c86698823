"""``LiteLLMTransport``: one model call through ``litellm.completion``, no retries (Overseer routes and falls back itself).

A 429 becomes ``RateLimited`` with the reset time the provider gave (``retry-after`` seconds or HTTP date,
``retry-after-ms``, else the ``anthropic-ratelimit-*-reset`` / ``x-ratelimit-reset*`` headers); any other failure
(refused connection, timeout, 5xx, bad key, unreadable reply) becomes ``ModelError`` naming the profile, the model
and what went wrong. LiteLLM is imported at the first call, not with this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from overseer.domain import ModelError, RateLimited
from overseer.llm.prices import load_litellm
from overseer.ports import ModelCall, ModelTarget, RawReply

__all__ = ["LiteLLMTransport", "reset_from_headers"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PREFIXES = re.compile(r"^(?:litellm\.\w+:\s*)?(?:\w+Error:\s*)?")
_HANDLE_WITH = re.compile(r"\.?\s*Handle with `litellm\.\w+`\.?\s*$")
_MAX_DETAIL = 300


class LiteLLMTransport:
    """``ModelTransport`` over LiteLLM. ``clock`` is "now" for relative reset times (``retry-after: 30``)."""

    def __init__(self, clock: Callable[[], datetime] | None = None, *, drop_params: bool = True) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.drop_params = drop_params  # leave out parameters a model refuses (a temperature on a reasoning model)

    def complete(self, target: ModelTarget, call: ModelCall) -> RawReply:
        litellm = load_litellm()
        try:
            response = litellm.completion(**self.arguments(target, call))
        except Exception as exc:  # LiteLLM maps each provider's failure to its own classes; every one ends this call
            raise self.failure(target, exc) from exc
        return _reply(target, response)

    def arguments(self, target: ModelTarget, call: ModelCall) -> dict[str, Any]:
        """The keyword arguments for ``litellm.completion``."""
        kwargs: dict[str, Any] = {
            "model": target.model,
            "messages": [dict(message) for message in call.messages],
            "timeout": target.timeout_seconds,
            "num_retries": 0,
            "drop_params": self.drop_params,
        }
        if target.api_base:
            kwargs["api_base"] = target.api_base
        if target.api_key:
            kwargs["api_key"] = target.api_key
        if call.max_tokens is not None:
            kwargs["max_tokens"] = call.max_tokens
        if call.temperature is not None:
            kwargs["temperature"] = call.temperature
        return kwargs

    def failure(self, target: ModelTarget, exc: BaseException) -> ModelError:
        """The error ``exc`` from LiteLLM becomes: ``RateLimited`` for a 429, else ``ModelError``."""
        where = _where(target)
        if _is_rate_limit(exc):
            reset = reset_from_headers(_headers(exc), self.clock())
            when = f"; it resets at {reset.isoformat(timespec='seconds')}" if reset else "; the reply did not say when it resets"
            return RateLimited(f"{where}: rate limited (HTTP 429): {_detail(exc)}{when}", reset_at=reset)
        return ModelError(f"{where}: {_what_went_wrong(target, exc)}")


def _where(target: ModelTarget) -> str:
    at = f" at {target.api_base}" if target.api_base else ""
    return f"profile {target.profile!r} (model {target.model}{at})"


def _reply(target: ModelTarget, response: Any) -> RawReply:
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError) as exc:
        raise ModelError(f"{_where(target)}: the reply carried no message ({type(exc).__name__}: {exc})") from exc
    text = getattr(message, "content", None)
    usage = getattr(response, "usage", None)
    hidden = getattr(response, "_hidden_params", None)
    cost = hidden.get("response_cost") if isinstance(hidden, Mapping) else None
    return RawReply(
        text=text if isinstance(text, str) else "",
        model=str(getattr(response, "model", None) or target.model),
        tokens_in=_count(getattr(usage, "prompt_tokens", None)),
        tokens_out=_count(getattr(usage, "completion_tokens", None)),
        cost_usd=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) and cost >= 0 else None,
    )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


# -- errors -----------------------------------------------------------------------------------------
def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from (``__cause__``, else ``__context__``), each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_rate_limit(exc: BaseException) -> bool:
    return isinstance(exc, load_litellm().RateLimitError) or getattr(exc, "status_code", None) == 429


def _what_went_wrong(target: ModelTarget, exc: BaseException) -> str:
    chain = list(_chain(exc))
    if isinstance(exc, load_litellm().Timeout) or any(isinstance(e, TimeoutError) or type(e).__name__.endswith("Timeout") for e in chain):
        return f"no reply within {target.timeout_seconds:g}s ({_detail(exc)})"
    refused = next((e for e in chain if isinstance(e, OSError)), None)
    if refused is not None:
        return f"could not connect to {target.api_base or 'the provider'}: {refused}"
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    return f"HTTP {status} {kind}: {_detail(exc)}" if isinstance(status, int) else f"{kind}: {_detail(exc)}"


def _detail(exc: BaseException) -> str:
    """LiteLLM's message without its class-name prefixes, hints and tracebacks; a JSON error body reduced to its message."""
    text = str(exc).split("\nTraceback", 1)[0].strip()
    text = _HANDLE_WITH.sub("", _PREFIXES.sub("", text, count=1))
    head, dash, body = text.partition(" - ")
    if dash:
        text = f"{head} - {_error_message(body)}"
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _error_message(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        kind = error.get("type")
        return f"{kind}: {error['message']}" if isinstance(kind, str) else str(error["message"])
    return body


def _headers(exc: BaseException) -> dict[str, str]:
    """Every response header reachable from ``exc`` and its causes, names lower-cased (the first seen wins)."""
    found: dict[str, str] = {}
    for error in _chain(exc):
        for source in (getattr(error, "litellm_response_headers", None), _response_headers(error), getattr(error, "headers", None)):
            if isinstance(source, Mapping):
                for name, value in source.items():
                    found.setdefault(str(name).lower(), str(value))
    return found


def _response_headers(error: BaseException) -> object:
    try:  # httpx raises on ``.response`` of an error that never got one
        return getattr(getattr(error, "response", None), "headers", None)
    except (RuntimeError, AttributeError):
        return None


# -- reset times ------------------------------------------------------------------------------------
def reset_from_headers(headers: Mapping[str, str], now: datetime | None = None) -> datetime | None:
    """When a rate limit resets (UTC), from the headers a provider sends with a 429; None when none says.

    ``retry-after`` (seconds or an HTTP date) and ``retry-after-ms`` decide when present. Otherwise the
    ``anthropic-ratelimit-*-reset`` (RFC 3339 or epoch seconds) and ``x-ratelimit-reset*`` (``1m30s``, seconds or
    epoch) headers: the latest reset among the limits whose ``remaining`` header is 0, else the latest of all.
    """
    now = now or datetime.now(UTC)
    lower = {name.lower(): value.strip() for name, value in headers.items()}
    if "retry-after-ms" in lower and (ms := _float(lower["retry-after-ms"])) is not None:
        return now + timedelta(milliseconds=ms)
    if "retry-after" in lower and (after := _after(lower["retry-after"], now)) is not None:
        return after
    resets: list[tuple[datetime, bool]] = []
    for name, value in lower.items():
        if name.startswith("anthropic-ratelimit-") and name.endswith("-reset"):
            remaining = name.removesuffix("-reset") + "-remaining"
        elif name.startswith("x-ratelimit-reset"):
            remaining = "x-ratelimit-remaining" + name.removeprefix("x-ratelimit-reset")
        else:
            continue
        if (at := _instant(value, now)) is not None:
            resets.append((at, _float(lower.get(remaining, "")) == 0))
    exhausted = [at for at, spent in resets if spent]
    return max(exhausted or [at for at, _ in resets], default=None)


def _after(value: str, now: datetime) -> datetime | None:
    """``retry-after``: delay seconds or an HTTP date."""
    seconds = _float(value)
    if seconds is not None:
        return now + timedelta(seconds=seconds)
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        return None


def _instant(value: str, now: datetime) -> datetime | None:
    """A reset header: epoch seconds or milliseconds, delay seconds, a duration like ``1m30s``, or an RFC 3339 time."""
    number = _float(value)
    if number is not None:
        if number >= 1e12:
            return datetime.fromtimestamp(number / 1000, UTC)
        return datetime.fromtimestamp(number, UTC) if number >= 1e9 else now + timedelta(seconds=number)
    if value and _DURATION.sub("", value) == "":
        return now + timedelta(seconds=sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(value)))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None
