"""LiteLLMTransport against a real scripted model server on 127.0.0.1: replies and token counts over the OpenAI and
Anthropic APIs, 429s with their reset times, and every other failure as a ModelError that says what happened."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from overseer.domain import ModelError, RateLimited
from overseer.llm import LiteLLMPrices, LiteLLMTransport
from overseer.modelserver import HttpError, Script, ScriptedModelServer, Text
from overseer.modelserver.wire import token_count
from overseer.ports import ModelCall, ModelTarget

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
CALL = ModelCall(messages=[{"role": "system", "content": "You review diffs."}, {"role": "user", "content": "review this diff"}],
                 max_tokens=200, temperature=0.2)


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(Script()) as srv:
        yield srv


@pytest.fixture
def transport() -> LiteLLMTransport:
    return LiteLLMTransport(clock=lambda: NOW)


def openai_target(server: ScriptedModelServer, timeout: float = 20) -> ModelTarget:
    base = server.base_url + "/v1"
    return ModelTarget("cheap", "deepseek", "openai/scripted-model", api_base=base, api_key="sk-test", timeout_seconds=timeout)


def anthropic_target(server: ScriptedModelServer) -> ModelTarget:
    base = server.base_url
    return ModelTarget("claude", "anthropic", "anthropic/claude-sonnet-4-5", api_base=base, api_key="sk-ant-test", timeout_seconds=20)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_openai_compatible_call_returns_the_scripted_text_and_the_servers_token_counts(
    server: ScriptedModelServer, transport: LiteLLMTransport
) -> None:
    server.script.add(Text("LGTM: no findings."))
    reply = transport.complete(openai_target(server), CALL)
    [sent] = server.requests_to("/v1/chat/completions")
    assert (reply.text, reply.model, reply.cost_usd) == ("LGTM: no findings.", "scripted-model", None)
    assert reply.tokens_in == token_count(sent.body["messages"]) > 0
    assert reply.tokens_out == token_count({"role": "assistant", "content": "LGTM: no findings."})
    assert sent.body["model"] == "scripted-model" and sent.body["messages"] == [dict(m) for m in CALL.messages]
    assert (sent.body["max_tokens"], sent.body["temperature"]) == (200, 0.2)


def test_an_anthropic_call_goes_to_the_messages_api_and_litellm_reports_its_cost(
    server: ScriptedModelServer, transport: LiteLLMTransport
) -> None:
    server.script.add(Text("Plan: one phase."))
    reply = transport.complete(anthropic_target(server), CALL)
    [sent] = server.requests_to("/v1/messages")
    assert (reply.text, reply.model) == ("Plan: one phase.", "claude-sonnet-4-5")
    assert sent.body["model"] == "claude-sonnet-4-5" and sent.body["max_tokens"] == 200
    assert reply.tokens_in == token_count(sent.body["messages"]) and reply.tokens_out > 0
    assert reply.cost_usd == pytest.approx(LiteLLMPrices().cost("claude-sonnet-4-5", reply.tokens_in, reply.tokens_out))


def test_a_scripted_429_becomes_rate_limited_resetting_when_retry_after_says_and_is_not_retried(
    server: ScriptedModelServer, transport: LiteLLMTransport
) -> None:
    server.script.add(HttpError.rate_limited(reset_in=120))
    with pytest.raises(RateLimited) as caught:
        transport.complete(openai_target(server), CALL)
    assert caught.value.reset_at == NOW + timedelta(seconds=120)
    assert "profile 'cheap'" in str(caught.value) and "openai/scripted-model" in str(caught.value)
    assert "scripted rate limit: try again later" in str(caught.value) and "2030-01-01T12:02:00+00:00" in str(caught.value)
    assert [r.status for r in server.requests] == [429]


def test_an_anthropic_429_with_only_its_reset_headers_gives_the_reset_of_the_spent_limit(
    server: ScriptedModelServer, transport: LiteLLMTransport
) -> None:
    headers = {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2030-01-01T12:10:00Z",
        "anthropic-ratelimit-tokens-remaining": "5000",
        "anthropic-ratelimit-tokens-reset": "2030-01-01T12:45:00Z",
    }
    server.script.add(HttpError(429, "slow down", headers=headers))
    with pytest.raises(RateLimited) as caught:
        transport.complete(anthropic_target(server), CALL)
    assert caught.value.reset_at == datetime(2030, 1, 1, 12, 10, tzinfo=UTC)
    assert "profile 'claude'" in str(caught.value) and "slow down" in str(caught.value)


def test_a_429_that_does_not_say_when_it_resets_is_rate_limited_without_a_reset_time(
    server: ScriptedModelServer, transport: LiteLLMTransport
) -> None:
    server.script.add(HttpError(429, "too many"))
    with pytest.raises(RateLimited) as caught:
        transport.complete(openai_target(server), CALL)
    assert caught.value.reset_at is None and "did not say when" in str(caught.value)


def test_a_500_becomes_a_model_error_naming_the_profile_the_model_and_the_servers_message_after_one_request(
    server: ScriptedModelServer, transport: LiteLLMTransport
) -> None:
    server.script.add(HttpError.server_error(500, "the model fell over"), times=None)
    with pytest.raises(ModelError) as caught:
        transport.complete(openai_target(server), CALL)
    message = str(caught.value)
    assert not isinstance(caught.value, RateLimited)
    assert "profile 'cheap'" in message and "openai/scripted-model" in message
    assert "HTTP 500" in message and "the model fell over" in message
    assert [r.status for r in server.requests] == [500]


def test_an_anthropic_401_names_the_error_type_and_message_from_the_json_body(
    server: ScriptedModelServer, transport: LiteLLMTransport
) -> None:
    server.script.add(HttpError(401, "invalid x-api-key"))
    with pytest.raises(ModelError) as caught:
        transport.complete(anthropic_target(server), CALL)
    assert "HTTP 401" in str(caught.value) and "authentication_error: invalid x-api-key" in str(caught.value)


def test_a_reply_that_is_not_json_becomes_a_model_error(server: ScriptedModelServer, transport: LiteLLMTransport) -> None:
    server.script.add(HttpError(200, body="<html>proxy says hi</html>"))
    with pytest.raises(ModelError) as caught:
        transport.complete(openai_target(server), CALL)
    assert not isinstance(caught.value, RateLimited) and "proxy says hi" in str(caught.value)


def test_a_refused_connection_becomes_a_model_error_at_once(transport: LiteLLMTransport) -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"
    target = ModelTarget("cheap", "deepseek", "openai/scripted-model", api_base=base, api_key="k", timeout_seconds=30)
    LiteLLMPrices().cost("gpt-4o", 1, 1)  # imports LiteLLM, so the timing below is the call alone
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        transport.complete(target, CALL)
    assert time.monotonic() - started < 3
    assert f"could not connect to {base}" in str(caught.value) and "Connection refused" in str(caught.value)


def test_a_server_that_never_answers_becomes_a_model_error_after_the_targets_timeout(transport: LiteLLMTransport) -> None:
    LiteLLMPrices().cost("gpt-4o", 1, 1)  # imports LiteLLM before timing
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # connections are queued, never accepted or answered
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        target = ModelTarget("claude", "anthropic", "anthropic/claude-sonnet-4-5", api_base=base, api_key="k", timeout_seconds=0.5)
        started = time.monotonic()
        with pytest.raises(ModelError) as caught:
            transport.complete(target, CALL)
    assert 0.4 < time.monotonic() - started < 5
    assert "no reply within 0.5s" in str(caught.value) and not isinstance(caught.value, RateLimited)


def test_a_failed_call_prints_nothing(server: ScriptedModelServer, transport: LiteLLMTransport, capfd: pytest.CaptureFixture[str]) -> None:
    server.script.add(HttpError.server_error(503, "overloaded"))
    with pytest.raises(ModelError):
        transport.complete(openai_target(server), CALL)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_importing_the_package_does_not_import_litellm() -> None:
    code = "import sys, overseer.llm; print('litellm' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout.strip()) == (0, "False"), proc.stderr
