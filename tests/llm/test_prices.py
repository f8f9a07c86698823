"""Price books: LiteLLM's bundled map (with and without a provider prefix) and the fixed table."""

from __future__ import annotations

import pytest

from overseer.llm import LiteLLMPrices, StaticPrices
from overseer.llm.prices import load_litellm


def bundled(model: str) -> tuple[float, float]:
    entry = load_litellm().model_cost[model]
    return float(entry["input_cost_per_token"]), float(entry["output_cost_per_token"])


def test_deepseek_chat_is_priced_from_the_bundled_map() -> None:
    given, taken = bundled("deepseek/deepseek-chat")
    cost = LiteLLMPrices().cost("deepseek/deepseek-chat", 1_000_000, 1_000_000)
    assert cost == pytest.approx(1_000_000 * given + 1_000_000 * taken)
    assert cost is not None and 0.05 < cost < 5  # dollars per million tokens in and out: a sane order of magnitude


def test_claude_sonnet_is_priced_with_and_without_its_provider_prefix() -> None:
    prices = LiteLLMPrices()
    given, taken = bundled("claude-sonnet-4-5")
    assert "anthropic/claude-sonnet-4-5" not in load_litellm().model_cost  # so the prefix really is taken off
    assert prices.cost("claude-sonnet-4-5", 1000, 2000) == pytest.approx(1000 * given + 2000 * taken)
    assert prices.cost("anthropic/claude-sonnet-4-5", 1000, 2000) == prices.cost("claude-sonnet-4-5", 1000, 2000)
    assert prices.per_token("anthropic/claude-sonnet-4-5") == (given, taken)


def test_a_model_the_map_does_not_know_has_no_price() -> None:
    prices = LiteLLMPrices()
    assert prices.cost("no-such-model-anywhere", 10, 10) is None
    assert prices.cost("openai/no-such-model-anywhere", 10, 10) is None


def test_zero_tokens_cost_nothing() -> None:
    assert LiteLLMPrices().cost("deepseek/deepseek-chat", 0, 0) == 0.0


def test_static_prices_multiply_tokens_by_the_table_and_also_match_without_a_prefix() -> None:
    book = StaticPrices({"strong-model": (1e-5, 3e-5), "openai/cheap-model": (1e-7, 2e-7)})
    assert book.cost("strong-model", 1000, 100) == pytest.approx(0.013)
    assert book.cost("openai/strong-model", 1000, 100) == pytest.approx(0.013)
    assert book.cost("openai/cheap-model", 1_000_000, 1_000_000) == pytest.approx(0.3)
    assert book.cost("cheap-model", 10, 10) is None and book.cost("other", 10, 10) is None
