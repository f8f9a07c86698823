"""The agent's environment: an allow-list, its own HOME, credentials named by variable and masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from overseer.runtime.environment import CredentialsMissing, EnvError, check_credentials, expand_profile_env, minimal_env

SUPERVISOR = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "HOME": "/root", "TERM": "xterm", "ANTHROPIC_API_KEY": "sk-ant-real-key",
              "AWS_SECRET_ACCESS_KEY": "aws-secret", "SSH_AUTH_SOCK": "/tmp/agent.sock", "USER": "dev"}


def test_the_minimal_environment_keeps_only_the_allow_list_and_sets_its_own_home(tmp_path: Path) -> None:
    env = minimal_env({"DISABLE_TELEMETRY": "1", "PATH": "/opt/bin"}, tmp_path / "home", source=SUPERVISOR)
    assert env == {"PATH": "/opt/bin", "LANG": "C.UTF-8", "TERM": "xterm", "USER": "dev", "HOME": str(tmp_path / "home"),
                   "DISABLE_TELEMETRY": "1"}


def test_profile_env_references_are_filled_in_and_returned_as_secrets() -> None:
    env, secrets = expand_profile_env({"ANTHROPIC_AUTH_TOKEN": "${ANTHROPIC_API_KEY}", "ANTHROPIC_BASE_URL": "http://${USER}.local:8080",
                                       "ANTHROPIC_MODEL": "glm-4.6", "OPENAI_API_KEY": "sk-literal-in-config"}, SUPERVISOR)
    assert env == {"ANTHROPIC_AUTH_TOKEN": "sk-ant-real-key", "ANTHROPIC_BASE_URL": "http://dev.local:8080",
                   "ANTHROPIC_MODEL": "glm-4.6", "OPENAI_API_KEY": "sk-literal-in-config"}
    assert secrets == {"sk-ant-real-key", "dev", "sk-literal-in-config"}


def test_a_reference_to_an_unset_variable_names_the_profile_key_and_the_variable() -> None:
    with pytest.raises(EnvError) as caught:
        expand_profile_env({"MODEL": "m", "GLM_KEY": "${ZHIPU_API_KEY}"}, SUPERVISOR, profile="glm")
    assert "profiles.glm.env.GLM_KEY" in str(caught.value) and "${ZHIPU_API_KEY}" in str(caught.value)
    assert (caught.value.key, caught.value.variable) == ("GLM_KEY", "ZHIPU_API_KEY")


def test_credentials_pass_when_any_one_is_set_and_fail_naming_all_when_none_is() -> None:
    check_credentials(("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"), {"ANTHROPIC_AUTH_TOKEN": "t"})
    check_credentials((), {})
    with pytest.raises(CredentialsMissing, match="ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN") as caught:
        check_credentials(("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"), {"ANTHROPIC_API_KEY": ""}, harness="claude-code")
    assert "claude-code" in str(caught.value)
