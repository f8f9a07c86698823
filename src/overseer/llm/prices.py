"""Dollar prices of token-priced models: LiteLLM's bundled price map (never fetched: there may be no network),
and a fixed table for tests and benchmarks.

Both look a model up as given, then without its provider prefix: ``anthropic/claude-sonnet-4-5`` is priced as
``claude-sonnet-4-5`` when the map only has the bare name (LiteLLM keys most first-party models that way).

``load_litellm`` is the one place LiteLLM is imported: lazily (the import takes seconds), with the local price
map forced (it would otherwise fetch one over the network), and with its prints and logs silenced.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["LiteLLMPrices", "StaticPrices", "load_litellm", "lookup_names"]

_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")
_lock = threading.Lock()
_loaded: Any = None


def load_litellm() -> Any:
    """The ``litellm`` module, imported once and quieted: no "Give Feedback" prints on errors, no log lines below
    CRITICAL (unless ``LITELLM_LOG`` is set, so ``LITELLM_LOG=DEBUG`` still debugs), the bundled price map."""
    global _loaded
    with _lock:
        if _loaded is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            # Any on purpose: typed, mypy would analyse all of LiteLLM (half a minute on a cold cache)
            module: Any = importlib.import_module("litellm")
            module.suppress_debug_info = True
            if "LITELLM_LOG" not in os.environ:
                for name in _LITELLM_LOGGERS:
                    logging.getLogger(name).setLevel(logging.CRITICAL)
            _loaded = module
        return _loaded


def lookup_names(model: str) -> tuple[str, ...]:
    """The names a model is priced under, in order: as given, then without its provider prefix."""
    bare = model.split("/", 1)[1] if "/" in model else ""
    return (model, bare) if bare else (model,)


class LiteLLMPrices:
    """Prices from LiteLLM's bundled map (``litellm.model_cost``), read at the first price asked for and cached."""

    def __init__(self) -> None:
        self._map: Mapping[str, Any] | None = None
        self._cache: dict[str, tuple[float, float] | None] = {}
        self._lock = threading.Lock()

    def _prices(self) -> Mapping[str, Any]:
        if self._map is None:
            table = load_litellm().model_cost
            self._map = table if isinstance(table, Mapping) else {}
        return self._map

    def per_token(self, model: str) -> tuple[float, float] | None:
        """(dollars per input token, dollars per output token), or None when the map does not price ``model``."""
        with self._lock:
            if model not in self._cache:
                self._cache[model] = self._find(model)
            return self._cache[model]

    def _find(self, model: str) -> tuple[float, float] | None:
        prices = self._prices()
        for name in lookup_names(model):
            entry = prices.get(name)
            if not isinstance(entry, Mapping):
                continue
            given, taken = _number(entry.get("input_cost_per_token")), _number(entry.get("output_cost_per_token"))
            if given is not None or taken is not None:
                return (given or 0.0, taken or 0.0)
        return None

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        price = self.per_token(model)
        return None if price is None else tokens_in * price[0] + tokens_out * price[1]


class StaticPrices:
    """A deterministic price book: ``{model: (dollars per input token, dollars per output token)}``."""

    def __init__(self, table: Mapping[str, tuple[float, float]]) -> None:
        self.table = dict(table)

    def per_token(self, model: str) -> tuple[float, float] | None:
        return next((self.table[name] for name in lookup_names(model) if name in self.table), None)

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        price = self.per_token(model)
        return None if price is None else tokens_in * price[0] + tokens_out * price[1]


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None
