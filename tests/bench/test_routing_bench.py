"""bench/routing.py at a small size: the simulation's accounting holds, and quota walls are met and counted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from overseer.config import OverseerConfig
from overseer.config.providers import WindowConfig
from overseer.domain.usage import Unit

BENCH = Path(__file__).resolve().parents[2] / "bench" / "routing.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_routing", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_routing"] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def tight(claude_runs: int) -> OverseerConfig:
    """The reference set-up with claude's window cut to ``claude_runs`` per 5 h, so the wall is met."""
    config = OverseerConfig()
    providers = dict(config.providers)
    window = WindowConfig(limit=claude_runs, unit=Unit.RUNS, length=5 * 3600)
    providers["claude"] = providers["claude"].model_copy(update={"windows": [window]})
    return config.model_copy(update={"providers": providers})


def run(bench: Any, config: OverseerConfig, key: str, n: int = 150, seed: int = 3) -> tuple[Any, Any]:
    specs = bench.generate(n, seed)
    sim = bench.Sim(specs, config, bench.run_prices(config.providers))
    chains = bench.Chains(bench.Router.from_config(config))
    strategies = {
        "a": lambda: bench.Blind("a", lambda _t: bench.STRONGEST),
        "b": lambda: bench.Blind("b", lambda t: chains(t)[0]),
        "c": lambda: bench.LiteLLMStrategy(chains, sim),
        "d": lambda: bench.OverseerStrategy(config, sim),
    }
    strategy = strategies[key]()
    return sim.run(strategy), (sim, strategy)


def test_the_workload_is_reproducible_from_its_seed(bench: Any) -> None:
    assert bench.generate(50, 11) == bench.generate(50, 11)
    assert bench.generate(50, 11) != bench.generate(50, 12)


@pytest.mark.parametrize("key", ["a", "b", "d"])
def test_every_task_ends_and_every_run_is_paid_for(bench: Any, key: str) -> None:
    config = OverseerConfig()
    result, (sim, _) = run(bench, config, key)
    prices = bench.run_prices(config.providers)
    assert not sim.pending and len(sim.done) == result.tasks == 150
    assert result.solved == sum(t.solved for t in sim.done)
    runs = sum(result.runs.values())
    assert sum(t.attempt for t in sim.done) == runs  # one run per attempt, at most three per task
    assert max(t.attempt for t in sim.done) <= bench.MAX_ATTEMPTS
    cheapest, dearest = min(min(p.values()) for p in prices.values()), max(max(p.values()) for p in prices.values())
    assert runs * cheapest <= result.cost <= runs * dearest
    assert all(p.live == 0 for p in sim.providers.values())


def test_overseer_settles_every_run_in_its_ledger_and_never_overruns(bench: Any) -> None:
    result, (_, strategy) = run(bench, tight(4), "d")
    entries = strategy.ledger.usage_entries()
    assert len(entries) == sum(result.runs.values()) and all(e.settled for e in entries)
    assert strategy.ledger_cost() == pytest.approx(result.cost)
    assert result.overruns == 0


def test_a_blind_strategy_meets_the_wall_and_waits_for_it(bench: Any) -> None:
    result, _ = run(bench, tight(4), "a")
    assert result.overruns > 0 and result.blocked_hours > 0
    assert set(result.runs) == {"claude"}


@pytest.mark.skipif(importlib.util.find_spec("litellm") is None, reason="litellm is not installed")
@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic on litellm's TypedDicts, at import
def test_litellm_falls_back_when_the_window_is_full(bench: Any) -> None:
    result, (sim, strategy) = run(bench, tight(4), "c", n=60)
    assert result.overruns > 0  # LiteLLM learns of the wall by hitting it
    assert strategy.fell_back > 0  # ... and its Router then sends the request down the chain
    assert not sim.pending and len(sim.done) == 60
