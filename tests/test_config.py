from __future__ import annotations

from pathlib import Path

import pytest

from overseer.config import TEMPLATE, OverseerConfig, database_url, find_root, load_config
from overseer.domain import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "overseer.yaml").write_text(text)
    return tmp_path


def test_the_commented_template_loads_to_the_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, TEMPLATE)) == OverseerConfig()


def test_a_missing_or_empty_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == OverseerConfig()
    assert load_config(write(tmp_path, "# nothing yet\n")) == OverseerConfig()


def test_a_misspelt_key_is_refused_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "database:\n  url:\nclaims:\n  lease_secs: 5\n"))
    assert caught.value.line == 4
    assert "did you mean 'lease_seconds'" in str(caught.value) and str(caught.value).startswith(str(tmp_path / "overseer.yaml"))


def test_a_value_out_of_range_names_the_field_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "defaults:\n  work_type: implementation\n  priority: 9\n"))
    assert caught.value.line == 3 and "defaults.priority" in str(caught.value)


def test_broken_yaml_names_the_line_of_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "claims:\n  lease_seconds: 1\n  bad: [\n"))
    assert caught.value.line is not None and caught.value.line >= 3 and "YAML" in str(caught.value)


def test_a_top_level_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_the_database_url_comes_from_the_environment_then_the_file_then_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)
    assert database_url(OverseerConfig(), tmp_path) == f"sqlite:///{tmp_path}/.overseer/overseer.db"
    configured = load_config(write(tmp_path, "database:\n  url: postgresql://u@h/db\n"))
    assert database_url(configured, tmp_path) == "postgresql://u@h/db"
    monkeypatch.setenv("OVERSEER_DATABASE_URL", "sqlite:////elsewhere.db")
    assert database_url(configured, tmp_path) == "sqlite:////elsewhere.db"


def test_the_root_is_found_from_a_subfolder(tmp_path: Path) -> None:
    write(tmp_path, "")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_root(sub) == tmp_path.resolve()
