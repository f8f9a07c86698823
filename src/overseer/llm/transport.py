"""``LiteLLMTransport``: one model call through LiteLLM, no retries (Overseer routes and falls back itself).

A 429 becomes ``RateLimited`` with the reset time the provider gave (``retry-after`` seconds or date, or the
``anthropic-ratelimit-*-reset`` / ``x-ratelimit-reset-*`` headers); any other failure becomes ``ModelError``
naming the profile, the model and what went wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from overseer.domain import ModelError, RateLimited
from overseer.llm.prices import load_litellm
from overseer.ports import ModelCall, ModelTarget, RawReply

__all__ = ["LiteLLMTransport", "reset_from_headers"]

_SPAN = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


class LiteLLMTransport:
    def complete(self, target: ModelTarget, call: ModelCall) -> RawReply:
        litellm = load_litellm()
        kwargs: dict[str, Any] = {"model": target.model, "messages": [dict(m) for m in call.messages], "timeout": target.timeout_seconds,
                                  "num_retries": 0, "max_retries": 0}
        if target.api_base:
            kwargs["api_base"] = target.api_base
        if target.api_key:
            kwargs["api_key"] = target.api_key
        if call.max_tokens is not None:
            kwargs["max_tokens"] = call.max_tokens
        if call.temperature is not None:
            kwargs["temperature"] = call.temperature
        where = f"profile {target.profile!r} (model {target.model}{', at ' + target.api_base if target.api_base else ''})"
        try:
            response = litellm.completion(**kwargs)
        except litellm.RateLimitError as err:
            raise RateLimited(f"{where}: rate limited: {_short(err)}", reset_at=reset_from_headers(_headers(err))) from None
        except Exception as err:  # LiteLLM maps every provider's failure to its own classes; all of them end this call
            raise ModelError(f"{where}: {type(err).__name__}: {_short(err)}") from None
        return _reply(response, target)


def _reply(response: Any, target: ModelTarget) -> RawReply:
    try:
        text = response.choices[0].message.content or ""
    except (AttributeError, IndexError) as err:
        raise ModelError(f"profile {target.profile!r}: the reply had no message ({err})") from None
    usage = getattr(response, "usage", None)
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost") if isinstance(hidden, Mapping) else None
    return RawReply(text=str(text), model=str(getattr(response, "model", None) or target.model),
                    tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0), tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
                    cost_usd=float(cost) if isinstance(cost, int | float) and cost > 0 else None)


def _short(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def _headers(err: BaseException) -> Mapping[str, str]:
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", None) or getattr(err, "headers", None) or {}
    try:
        return {str(k).lower(): str(v) for k, v in dict(headers).items()}
    except (TypeError, ValueError):
        return {}


def reset_from_headers(headers: Mapping[str, str], now: datetime | None = None) -> datetime | None:
    """When a rate limit resets, from the headers providers send with a 429 (the latest one named); None if none do."""
    now = now or datetime.now(UTC)
    found: list[datetime] = []
    for name, value in headers.items():
        name, value = name.lower(), value.strip()
        if name == "retry-after":
            found += [t for t in (_seconds_or_date(value, now),) if t]
        elif name.startswith("anthropic-ratelimit") and name.endswith("-reset"):
            found += [t for t in (_epoch_or_iso(value),) if t]
        elif name.startswith("x-ratelimit-reset"):
            match = _SPAN.match(value)
            if match and any(match.groups()):
                h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
                found.append(now + timedelta(hours=h, minutes=m, seconds=s, milliseconds=ms))
    return max(found, default=None)


def _seconds_or_date(value: str, now: datetime) -> datetime | None:
    try:
        return now + timedelta(seconds=float(value))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _epoch_or_iso(value: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
