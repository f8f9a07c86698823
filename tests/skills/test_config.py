"""``skills:`` in overseer.yaml: defaults, per-skill chains, and wrong entries refused at their line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from overseer.config import TEMPLATE, OverseerConfig, load_config
from overseer.domain import ConfigError

HEAD = "profiles:\n  fast: {harness: command, command: [x]}\n  slow: {harness: command, command: [x]}\n"


def refused(tmp_path: Path, text: str) -> ConfigError:
    (tmp_path / "overseer.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    return caught.value


def test_without_a_skills_section_skills_come_from_skills_and_are_routed(tmp_path: Path) -> None:
    skills = OverseerConfig().skills
    assert (skills.folder, skills.history_limit, skills.history_chars, skills.settings(), skills.chain("review")) == (
        "skills", 5, 2000, {}, [])


def test_a_chain_per_skill_is_read_in_order(tmp_path: Path) -> None:
    (tmp_path / "overseer.yaml").write_text(HEAD + "skills:\n  folder: .team/skills\n  review:\n    chain: [slow, fast]\n")
    skills = load_config(tmp_path).skills
    assert (skills.folder, skills.chain("review"), skills.chain("tdd")) == (".team/skills", ["slow", "fast"], [])


def test_the_template_documents_the_skills_section_and_loads_to_the_defaults() -> None:
    assert "skills:\n  folder: skills" in TEMPLATE and "#   chain: [claude, glm]" in TEMPLATE
    assert OverseerConfig.model_validate(yaml.safe_load(TEMPLATE)).skills == OverseerConfig().skills


def test_a_chain_entry_naming_no_profile_is_refused_at_its_line_listing_the_profiles(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "skills:\n  review:\n    chain:\n      - fast\n      - fsat\n")
    assert (err.path, err.line) == (str(tmp_path / "overseer.yaml"), 8)
    assert "skills.review.chain names 'fsat', which is not a profile (profiles: claude, deepseek, fast, glm, openrouter, slow)" in str(err)


def test_a_misspelt_setting_is_refused_at_its_line_with_a_guess(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "skills:\n  histroy_limit: 3\n")
    assert err.line == 5 and "did you mean 'history_limit'?" in str(err)


def test_an_unknown_key_of_a_skill_is_refused_at_its_line(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "skills:\n  review:\n    chian: [fast]\n")
    assert err.line == 6 and "unknown key 'skills.review.chian' (a skill takes: chain)" in str(err)


def test_a_history_limit_out_of_range_is_refused_at_its_line(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "skills:\n  history_limit: 500\n")
    assert err.line == 5 and "skills.history_limit" in str(err)
