"""The routed model gateway end to end: LiteLLM against the scripted model server, the ledger in a real store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from overseer.config import OverseerConfig
from overseer.domain import ModelError, QuotaExhausted
from overseer.domain.usage import UsageKind
from overseer.llm.prices import StaticPrices
from overseer.llm.transport import LiteLLMTransport
from overseer.modelserver import HttpError, Script, ScriptedModelServer, Text
from overseer.ports import ModelCall
from overseer.scheduler import QuotaBook, Router
from overseer.scheduler.gateway import RoutedGateway
from overseer.store.memory import InMemoryStore

REVIEW = ModelCall(messages=[{"role": "user", "content": "review"}], work_type="review", task_id=None)
PRICES = StaticPrices({"openai/strong-model": (1e-5, 3e-5), "openai/cheap-model": (1e-7, 2e-7)})


def config(base: str, strong_limit: int = 10) -> OverseerConfig:
    def profile(provider: str, model: str) -> dict[str, Any]:
        return {"harness": "command", "provider": provider, "model": model,
                "options": {"litellm_model": f"openai/{model}", "api_base": base + "/v1", "env_key": "TEST_KEY"}}

    return OverseerConfig.model_validate({
        "profiles": {"strong": profile("big", "strong-model"), "cheap": profile("small", "cheap-model")},
        "providers": {"big": {"kind": "subscription", "windows": [{"limit": strong_limit, "unit": "requests", "length": "5h"}]},
                      "small": {"kind": "api", "pool": 4}},
        "routing": {"rules": [{"when": {"work_type": "review"}, "chain": ["strong", "cheap"]}, {"chain": ["cheap"]}]},
    })


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(Script()) as srv:
        yield srv


def gateway(cfg: OverseerConfig, store: InMemoryStore) -> RoutedGateway:
    book = QuotaBook(store, cfg.providers)
    return RoutedGateway(cfg, Router.from_config(cfg), book, LiteLLMTransport(), PRICES, {"TEST_KEY": "sk-test"}.get)


def test_a_review_call_goes_to_the_first_choice_and_its_tokens_and_dollars_land_in_the_ledger(server: ScriptedModelServer) -> None:
    server.script.add(Text("No findings."))
    store = InMemoryStore()
    reply = gateway(config(server.base_url), store).complete(REVIEW)
    assert (reply.text, reply.profile, reply.provider) == ("No findings.", "strong", "big")
    [entry] = store.usage_entries()
    assert (entry.provider, entry.kind, entry.requests, entry.settled) == ("big", UsageKind.CALL, 1, True)
    assert entry.tokens_in == reply.tokens_in > 0 and entry.cost_usd == pytest.approx(reply.tokens_in * 1e-5 + reply.tokens_out * 3e-5)
    assert server.requests_to("/v1/chat/completions")[0].body["model"] == "strong-model"


def test_a_429_parks_the_provider_and_the_call_falls_back_along_the_chain(server: ScriptedModelServer) -> None:
    server.script.add(HttpError.rate_limited(reset_in=3600)).add(Text("Fallback review."))
    store = InMemoryStore()
    gw = gateway(config(server.base_url), store)
    reply = gw.complete(REVIEW)
    assert (reply.text, reply.profile) == ("Fallback review.", "cheap") and "strong: rate limited until" in reply.tried[0]
    parks = store.parks(gw.clock())
    assert set(parks) == {"big"} and "429 from strong" in parks["big"].reason
    assert [e.provider for e in store.usage_entries()] == ["small"]  # the refused request took nothing from big's window
    server.script.add(Text("Second review."))
    assert gw.complete(REVIEW).profile == "cheap"  # parked: not asked again
    assert len(server.requests_to("/v1/chat/completions")) == 3


def test_a_full_window_is_never_overrun_and_the_next_choice_answers(server: ScriptedModelServer) -> None:
    store = InMemoryStore()
    gw = gateway(config(server.base_url, strong_limit=2), store)
    for _ in range(4):
        server.script.add(Text("ok"))
    profiles = [gw.complete(REVIEW).profile for _ in range(4)]
    assert profiles == ["strong", "strong", "cheap", "cheap"]
    assert sum(e.requests for e in store.usage_entries(provider="big")) == 2


def test_nothing_with_room_raises_quota_exhausted_with_what_was_tried(server: ScriptedModelServer) -> None:
    store = InMemoryStore()
    cfg = config(server.base_url, strong_limit=1)
    gw = gateway(cfg, store)
    store.park("small", gw.clock().replace(year=2100), "by hand", actor="t")
    server.script.add(Text("ok"))
    assert gw.complete(REVIEW).profile == "strong"
    with pytest.raises(QuotaExhausted) as caught:
        gw.complete(REVIEW)
    assert "no provider has room" in str(caught.value) and "big window full" in str(caught.value)


def test_a_failing_provider_falls_back_and_when_all_fail_the_error_lists_each(server: ScriptedModelServer) -> None:
    server.script.add(HttpError.server_error(500, "boom")).add(Text("from cheap"))
    store = InMemoryStore()
    gw = gateway(config(server.base_url), store)
    assert gw.complete(REVIEW).profile == "cheap"
    server.script.add(HttpError.server_error(500, "boom")).add(HttpError.server_error(502, "bad gateway"))
    with pytest.raises(ModelError) as caught:
        gw.complete(REVIEW)
    assert "every profile on the chain failed" in str(caught.value) and "strong:" in str(caught.value) and "cheap:" in str(caught.value)
