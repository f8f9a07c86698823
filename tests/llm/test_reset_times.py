"""Reading when a rate limit resets from the headers each provider sends with a 429."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from overseer.llm import reset_from_headers

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_retry_after_in_seconds_counts_from_now() -> None:
    assert reset_from_headers({"Retry-After": "30"}, NOW) == NOW + timedelta(seconds=30)
    assert reset_from_headers({"retry-after-ms": "1500"}, NOW) == NOW + timedelta(seconds=1.5)


def test_retry_after_as_an_http_date_is_that_date_in_utc() -> None:
    assert reset_from_headers({"retry-after": "Tue, 01 Jan 2030 12:05:00 GMT"}, NOW) == NOW + timedelta(minutes=5)


def test_retry_after_wins_over_the_reset_headers() -> None:
    headers = {"retry-after": "10", "anthropic-ratelimit-unified-reset": str(int((NOW + timedelta(hours=5)).timestamp()))}
    assert reset_from_headers(headers, NOW) == NOW + timedelta(seconds=10)


def test_anthropic_resets_are_read_as_rfc_3339_or_epoch_seconds() -> None:
    assert reset_from_headers({"anthropic-ratelimit-requests-reset": "2030-01-01T13:00:00Z"}, NOW) == NOW + timedelta(hours=1)
    assert reset_from_headers({"anthropic-ratelimit-unified-reset": str(int(NOW.timestamp()) + 600)}, NOW) == NOW + timedelta(minutes=10)


def test_openai_resets_are_read_as_durations_seconds_or_epoch() -> None:
    assert reset_from_headers({"x-ratelimit-reset-requests": "1m30s"}, NOW) == NOW + timedelta(seconds=90)
    assert reset_from_headers({"x-ratelimit-reset-tokens": "250ms"}, NOW) == NOW + timedelta(milliseconds=250)
    assert reset_from_headers({"x-ratelimit-reset-requests": "1h2m3.5s"}, NOW) == NOW + timedelta(hours=1, minutes=2, seconds=3.5)
    assert reset_from_headers({"x-ratelimit-reset": "45"}, NOW) == NOW + timedelta(seconds=45)
    assert reset_from_headers({"x-ratelimit-reset": str(int(NOW.timestamp()) + 60)}, NOW) == NOW + timedelta(minutes=1)
    assert reset_from_headers({"x-ratelimit-reset": str(int(NOW.timestamp() * 1000) + 60_000)}, NOW) == NOW + timedelta(minutes=1)


def test_the_spent_limit_decides_and_without_one_the_latest_reset_does() -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20s",
               "x-ratelimit-remaining-tokens": "900", "x-ratelimit-reset-tokens": "6m0s"}
    assert reset_from_headers(headers, NOW) == NOW + timedelta(seconds=20)
    del headers["x-ratelimit-remaining-requests"]
    assert reset_from_headers(headers, NOW) == NOW + timedelta(minutes=6)


def test_headers_that_say_nothing_or_nonsense_give_no_reset_time() -> None:
    assert reset_from_headers({"content-type": "application/json"}, NOW) is None
    assert reset_from_headers({"x-ratelimit-reset-requests": "soon", "retry-after": "later"}, NOW) is None
    assert reset_from_headers({}, NOW) is None
