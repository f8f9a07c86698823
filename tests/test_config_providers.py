"""Providers, profiles and routing in overseer.yaml: the reference defaults, and every bad input refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from overseer.config import OverseerConfig, load_config
from overseer.domain import ConfigError
from overseer.domain.usage import ProviderKind, Unit


def load(tmp_path: Path, text: str) -> OverseerConfig:
    (tmp_path / "overseer.yaml").write_text(text, encoding="utf-8")
    return load_config(tmp_path)


def refused(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    return err.value


PROFILES = """\
profiles:
  fast:
    harness: command
    provider: cheap
  strong:
    harness: command
    provider: big
"""


def test_no_providers_section_gives_the_reference_set_up() -> None:
    config = OverseerConfig()
    claude, glm = config.providers["claude"], config.providers["glm"]
    assert (claude.kind, claude.buffer_percent, claude.pool) == (ProviderKind.SUBSCRIPTION, 20, 2)
    assert [(w.limit, w.unit, w.length) for w in claude.windows] == [(45, Unit.RUNS, 5 * 3600)]
    assert (glm.windows[0].limit, glm.buffer_percent, glm.pool) == (180, 3, 4)
    assert (config.providers["deepseek"].kind, config.providers["deepseek"].pool) == (ProviderKind.API, 6)
    assert config.providers["openrouter"].pool == 2
    assert {name: config.profiles[name].provider for name in config.providers} == {n: n for n in config.providers}
    assert [e.use for e in config.routing.cascade] == ["deepseek", "glm", "openrouter", "claude"]


def test_a_project_with_one_profile_of_its_own_routes_everything_to_it(tmp_path: Path) -> None:
    config = load(tmp_path, "profiles:\n  mine:\n    harness: command\n")
    assert [[e.use for e in r.chain] for r in config.routing.rules] == [["mine"]]
    assert config.is_builtin("claude") and not config.is_builtin("mine")


def test_a_profile_named_like_a_reference_provider_replaces_it_and_drops_that_provider(tmp_path: Path) -> None:
    config = load(tmp_path, "profiles:\n  claude:\n    harness: command\n")
    assert "claude" not in config.providers and config.profiles["claude"].harness == "command"


def test_windows_budgets_and_durations_are_read(tmp_path: Path) -> None:
    config = load(tmp_path, PROFILES + """\
providers:
  cheap: {kind: api, pool: 3, budget: {daily_usd: 5, monthly_usd: 100}}
  big:
    kind: subscription
    buffer_percent: 10
    windows:
      - {limit: 45, unit: runs, length: 5h}
      - {limit: 2000000, unit: tokens, length: 1w}
""")
    big = config.providers["big"].all_windows()
    assert [(w.limit, w.unit, w.seconds) for w in big] == [(45, Unit.RUNS, 18000.0), (2_000_000, Unit.TOKENS, 604800.0)]
    cheap = config.providers["cheap"].all_windows()
    assert [(w.limit, w.unit, w.seconds) for w in cheap] == [(5, Unit.USD, 86400.0), (100, Unit.USD, 30 * 86400.0)]


def test_a_profile_naming_an_unknown_provider_is_refused_at_its_line(tmp_path: Path) -> None:
    err = refused(tmp_path, PROFILES + "providers:\n  cheap: {kind: api}\n")
    assert err.line == 7 and "'big'" in str(err) and "not in providers" in str(err)


def test_a_provider_with_no_profile_is_refused_at_its_line(tmp_path: Path) -> None:
    err = refused(tmp_path, PROFILES + "providers:\n  cheap: {kind: api}\n  big: {kind: api}\n  idle: {kind: local}\n")
    assert err.line == 11 and "provider 'idle' has no profile" in str(err)


def test_a_zero_length_window_is_refused_at_its_line(tmp_path: Path) -> None:
    err = refused(tmp_path, PROFILES + "providers:\n  cheap: {kind: api}\n  big:\n    windows:\n      - {limit: 5, length: 0h}\n")
    assert err.line == 12 and "length above zero" in str(err)


def test_a_negative_limit_is_refused_at_its_line(tmp_path: Path) -> None:
    err = refused(tmp_path, PROFILES + "providers:\n  cheap: {kind: api}\n  big:\n    windows:\n      - {limit: -5, length: 5h}\n")
    assert err.line == 12 and "limit" in str(err) and "greater than 0" in str(err)


def test_a_rule_naming_an_unknown_provider_is_refused_at_the_chain_entry(tmp_path: Path) -> None:
    err = refused(tmp_path, PROFILES + """\
providers: {cheap: {kind: api}, big: {kind: api}}
routing:
  rules:
    - when: {work_type: planning}
      chain:
        - big
        - gpt5
""")
    assert err.line == 14 and "'gpt5' is neither a profile nor a provider" in str(err)


def test_a_rule_that_can_never_match_is_refused_at_its_line(tmp_path: Path) -> None:
    err = refused(tmp_path, PROFILES + """\
providers: {cheap: {kind: api}, big: {kind: api}}
routing:
  rules:
    - when: {work_type: [implementation, review]}
      chain: [cheap]
    - when: {work_type: review, complexity: complex}
      chain: [big]
""")
    assert err.line == 13 and "rule 2 can never match" in str(err)


def test_an_unknown_mode_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, PROFILES + "providers: {cheap: {kind: api}, big: {kind: api}}\nrouting:\n  mode: turbo\n")
    assert err.line == 10 and "unknown mode 'turbo'" in str(err)


def test_a_misspelt_key_in_a_window_suggests_the_right_one(tmp_path: Path) -> None:
    err = refused(tmp_path, PROFILES + "providers:\n  cheap: {kind: api}\n  big:\n    windows:\n      - {limit: 5, lenght: 5h}\n")
    assert "did you mean 'length'" in str(err)
