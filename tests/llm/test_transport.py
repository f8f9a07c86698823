"""LiteLLM against the local scripted model server: replies, token counts, 429s with reset times, failures; and prices."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from overseer.domain import ModelError, RateLimited
from overseer.llm.prices import LiteLLMPrices, StaticPrices
from overseer.llm.transport import LiteLLMTransport, reset_from_headers
from overseer.modelserver import HttpError, Script, ScriptedModelServer, Text
from overseer.ports import ModelCall, ModelTarget

CALL = ModelCall(messages=[{"role": "user", "content": "review this diff"}], max_tokens=200)


def openai_target(server: ScriptedModelServer) -> ModelTarget:
    return ModelTarget("cheap", "deepseek", "openai/scripted-model", api_base=server.base_url + "/v1", api_key="sk-test",
                       timeout_seconds=20)


def test_an_openai_compatible_call_returns_the_scripted_text_and_its_token_counts() -> None:
    with ScriptedModelServer(Script().add(Text("LGTM: no findings."))) as server:
        reply = LiteLLMTransport().complete(openai_target(server), CALL)
        sent = server.requests_to("/v1/chat/completions")
    assert reply.text == "LGTM: no findings."
    assert reply.tokens_in > 0 and reply.tokens_out > 0
    assert len(sent) == 1 and sent[0].body["messages"][-1]["content"] == "review this diff" and sent[0].body["max_tokens"] == 200


def test_an_anthropic_call_goes_to_the_messages_api() -> None:
    with ScriptedModelServer(Script().add(Text("Plan: one phase."))) as server:
        target = ModelTarget("claude", "claude", "anthropic/claude-sonnet-4-5", api_base=server.base_url, api_key="sk-ant-test")
        reply = LiteLLMTransport().complete(target, CALL)
        assert server.requests_to("/v1/messages")
    assert reply.text == "Plan: one phase." and reply.tokens_in > 0


def test_a_429_with_a_reset_time_becomes_rate_limited_with_that_time() -> None:
    with ScriptedModelServer(Script().add(HttpError.rate_limited(reset_in=120))) as server:
        before = datetime.now(UTC)
        with pytest.raises(RateLimited) as caught:
            LiteLLMTransport().complete(openai_target(server), CALL)
    reset = caught.value.reset_at
    assert isinstance(reset, datetime) and before + timedelta(seconds=100) < reset < before + timedelta(seconds=140)
    assert "'cheap'" in str(caught.value) and "rate limited" in str(caught.value)


def test_a_server_error_becomes_a_model_error_naming_the_profile_and_model() -> None:
    script = Script().add(HttpError.server_error(500, "the model fell over"))
    with ScriptedModelServer(script) as server, pytest.raises(ModelError) as caught:
        LiteLLMTransport().complete(openai_target(server), CALL)
    assert not isinstance(caught.value, RateLimited)
    assert "'cheap'" in str(caught.value) and "openai/scripted-model" in str(caught.value)


def test_a_refused_connection_is_a_model_error_at_once() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = ModelTarget("cheap", "deepseek", "openai/scripted-model", api_base=f"http://127.0.0.1:{port}/v1", api_key="k")
    started = time.monotonic()
    with pytest.raises(ModelError):
        LiteLLMTransport().complete(target, CALL)
    assert time.monotonic() - started < 10


def test_reset_headers_are_read_in_each_providers_format() -> None:
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert reset_from_headers({"Retry-After": "30"}, now) == now + timedelta(seconds=30)
    assert reset_from_headers({"anthropic-ratelimit-requests-reset": "2030-01-01T13:00:00Z"}, now) == now + timedelta(hours=1)
    assert reset_from_headers({"x-ratelimit-reset-requests": "1m30s"}, now) == now + timedelta(seconds=90)
    assert reset_from_headers({"retry-after": "Tue, 01 Jan 2030 12:05:00 GMT"}, now) == now + timedelta(minutes=5)
    assert reset_from_headers({"content-type": "application/json"}, now) is None


def test_the_bundled_price_map_prices_known_models_and_not_unknown_ones() -> None:
    prices = LiteLLMPrices()
    deepseek = prices.cost("deepseek/deepseek-chat", 1_000_000, 1_000_000)
    sonnet = prices.cost("anthropic/claude-sonnet-4-5", 1_000_000, 0)
    assert deepseek is not None and 0.1 < deepseek < 5
    assert sonnet is not None and 1 < sonnet < 10 and sonnet == prices.cost("claude-sonnet-4-5", 1_000_000, 0)
    assert prices.cost("no-such/model-anywhere", 10, 10) is None
    assert StaticPrices({"m": (1e-6, 2e-6)}).cost("m", 1000, 1000) == pytest.approx(0.003)
