"""Dollar prices of token-priced models: LiteLLM's bundled price map (never fetched: there may be no network),
and a fixed table for tests and benchmarks."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["LiteLLMPrices", "StaticPrices", "load_litellm"]

_lock = threading.Lock()


def load_litellm() -> Any:
    """Import LiteLLM quietly, with its local price map (it would otherwise fetch one over the network)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    with _lock:
        import litellm

        litellm.telemetry = False
        litellm.suppress_debug_info = True
        return litellm


class LiteLLMPrices:
    def __init__(self) -> None:
        self._map: Mapping[str, Mapping[str, Any]] | None = None

    def _prices(self) -> Mapping[str, Mapping[str, Any]]:
        if self._map is None:
            self._map = load_litellm().model_cost
        return self._map

    def per_token(self, model: str) -> tuple[float, float] | None:
        prices = self._prices()
        for name in (model, model.split("/", 1)[-1], model.rsplit("/", 1)[-1]):
            entry = prices.get(name)
            if entry and entry.get("input_cost_per_token") is not None:
                return float(entry["input_cost_per_token"]), float(entry.get("output_cost_per_token") or 0.0)
        return None

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        price = self.per_token(model)
        return None if price is None else tokens_in * price[0] + tokens_out * price[1]


class StaticPrices:
    """A deterministic price book: {model: (dollars per input token, dollars per output token)}."""

    def __init__(self, table: Mapping[str, tuple[float, float]]) -> None:
        self.table = dict(table)

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        price = self.table.get(model)
        return None if price is None else tokens_in * price[0] + tokens_out * price[1]
