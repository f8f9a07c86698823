"""``build(spec)``: the argv, environment and per-run files each adapter asks for (nothing is started)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from overseer.agents.registry import get_harness
from overseer.domain import ValidationError
from overseer.ports import RunSpec

PROFILE_ENV = {"SOME_KEY": "from-profile"}


def with_env(spec: RunSpec, **env: str) -> RunSpec:
    return replace(spec, env={**PROFILE_ENV, **env})


def test_claude_code_runs_print_mode_with_stream_json_bypassed_permissions_and_no_retries(spec: RunSpec) -> None:
    invocation = get_harness("claude-code", {"base_url": "http://127.0.0.1:9/"}).build(with_env(spec))
    assert invocation.argv == (
        "claude",
        "-p",
        "--output-format",
        "stream-json",
        "--verbose",
        "--dangerously-skip-permissions",
        "--model",
        "some-model",
        "--max-turns",
        "12",
        "--extra",
        "1",
        "--",
        "Fix the bug",
    )
    assert invocation.env == {
        "HOME": str(spec.home),
        "IS_SANDBOX": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
        "SOME_KEY": "from-profile",
    }
    assert invocation.files == {}


def test_claude_code_takes_resume_mcp_config_permission_mode_and_retries_from_options(spec: RunSpec) -> None:
    options = {"resume": "sess-1", "mcp_config": "/etc/mcp.json", "permission_mode": "acceptEdits", "max_retries": 2}
    invocation = get_harness("claude-code", options).build(replace(spec, model=None, max_turns=None, args=()))
    assert invocation.argv[5:] == (
        "--permission-mode",
        "acceptEdits",
        "--resume",
        "sess-1",
        "--mcp-config",
        "/etc/mcp.json",
        "--strict-mcp-config",
        "--",
        "Fix the bug",
    )
    assert invocation.env["CLAUDE_CODE_MAX_RETRIES"] == "2"


def test_claude_code_takes_the_base_url_from_the_profile_env_when_options_have_none(spec: RunSpec) -> None:
    invocation = get_harness("claude-code").build(with_env(spec, ANTHROPIC_BASE_URL="https://glm.example/api/anthropic"))
    assert invocation.env["ANTHROPIC_BASE_URL"] == "https://glm.example/api/anthropic"


def test_codex_writes_a_config_toml_declaring_the_provider_with_its_key_variable_and_no_retries(spec: RunSpec) -> None:
    harness = get_harness("codex", {"base_url": "http://127.0.0.1:9/v1", "provider": "local", "env_key": "LOCAL_KEY"})
    invocation = harness.build(with_env(spec))
    codex_home = spec.home / ".codex"
    assert harness.credential_env == ("LOCAL_KEY",)
    assert invocation.argv == (
        "codex",
        "exec",
        "--json",
        "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox",
        "-m",
        "some-model",
        "--extra",
        "1",
        "--",
        "Fix the bug",
    )
    assert invocation.env == {"HOME": str(spec.home), "CODEX_HOME": str(codex_home), "SOME_KEY": "from-profile"}
    config = tomllib.loads(invocation.files[codex_home / "config.toml"])
    assert config["model_provider"] == "local"
    assert config["model_providers"]["local"] == {
        "name": "local",
        "base_url": "http://127.0.0.1:9/v1",
        "wire_api": "responses",
        "env_key": "LOCAL_KEY",
        "request_max_retries": 0,
        "stream_max_retries": 0,
    }


def test_codex_without_a_base_url_keeps_its_own_provider_and_needs_openai_api_key(spec: RunSpec) -> None:
    harness = get_harness("codex")
    config = tomllib.loads(harness.build(spec).files[spec.home / ".codex" / "config.toml"])
    assert harness.credential_env == ("OPENAI_API_KEY",)
    assert "model_provider" not in config and "model_providers" not in config


def test_gemini_writes_settings_with_api_key_auth_one_attempt_and_the_turn_limit(spec: RunSpec) -> None:
    invocation = get_harness("gemini", {"base_url": "http://127.0.0.1:9"}).build(with_env(spec))
    assert invocation.argv == (
        "gemini",
        "--prompt=Fix the bug",
        "--output-format",
        "stream-json",
        "--approval-mode=yolo",
        "--model",
        "some-model",
        "--extra",
        "1",
    )
    assert invocation.env == {
        "HOME": str(spec.home),
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
        "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:9",
        "SOME_KEY": "from-profile",
    }
    settings = json.loads(invocation.files[spec.home / ".gemini" / "settings.json"])
    assert settings["security"] == {"auth": {"selectedType": "gemini-api-key"}}
    assert settings["general"]["maxAttempts"] == 1
    assert settings["model"] == {"maxSessionTurns": 12}
    assert settings["telemetry"] == {"enabled": False}


def test_a_prompt_that_looks_like_a_flag_stays_the_prompt(spec: RunSpec) -> None:
    tricky = replace(spec, prompt="--help me", args=())
    assert get_harness("claude-code").build(tricky).argv[-2:] == ("--", "--help me")
    assert get_harness("codex").build(tricky).argv[-2:] == ("--", "--help me")
    assert get_harness("opencode").build(tricky).argv[-2:] == ("--", "--help me")
    assert "--prompt=--help me" in get_harness("gemini").build(tricky).argv
    assert "--message=--help me" in get_harness("aider").build(tricky).argv
    assert "--task=--help me" in get_harness("mini-swe-agent").build(tricky).argv


def test_opencode_declares_an_openai_compatible_provider_and_isolates_home_and_xdg(spec: RunSpec) -> None:
    invocation = get_harness("opencode", {"base_url": "http://127.0.0.1:9/v1"}).build(with_env(spec))
    home = spec.home
    assert invocation.argv == ("opencode", "run", "--format", "json", "--model", "overseer/some-model", "--extra", "1", "--", "Fix the bug")
    assert invocation.env["OPENCODE_CONFIG"] == str(home / "opencode.json")
    assert {invocation.env[k] for k in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")} == {
        str(home),
        str(home / ".config"),
        str(home / ".local" / "share"),
        str(home / ".cache"),
        str(home / ".local" / "state"),
    }
    assert invocation.env["OPENCODE_DISABLE_AUTOUPDATE"] == "1"
    config = json.loads(invocation.files[home / "opencode.json"])
    assert config["permission"]["edit"] == "allow" and config["permission"]["bash"] == "allow"
    assert config["provider"]["overseer"] == {
        "npm": "@ai-sdk/openai-compatible",
        "name": "overseer",
        "options": {"baseURL": "http://127.0.0.1:9/v1", "apiKey": "{env:OPENAI_API_KEY}"},
        "models": {"some-model": {"name": "some-model"}},
    }


def test_aider_sends_one_message_keeps_its_histories_in_home_and_commits_nothing(spec: RunSpec) -> None:
    invocation = get_harness("aider", {"base_url": "http://127.0.0.1:9/v1", "edit_format": "whole"}).build(with_env(spec))
    argv = invocation.argv
    assert argv[:2] == ("aider", "--message=Fix the bug")
    assert {"--yes-always", "--no-auto-commits", "--no-gitignore", "--no-pretty", "--analytics-disable", "--no-check-update"} <= set(argv)
    assert f"--chat-history-file={spec.home / '.aider.chat.history.md'}" in argv
    assert argv[-5:] == ("--openai-api-base=http://127.0.0.1:9/v1", "--model=openai/some-model", "--edit-format=whole", "--extra", "1")
    assert invocation.env == {"HOME": str(spec.home), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "SOME_KEY": "from-profile"}
    price_cache = spec.home / ".aider" / "caches" / "model_prices_and_context_window.json"
    assert json.loads(invocation.files[price_cache])  # non-empty, so aider does not fetch the list


def test_aider_leaves_a_model_that_names_its_provider_alone(spec: RunSpec) -> None:
    argv = get_harness("aider", {"base_url": "http://127.0.0.1:9/v1"}).build(replace(spec, model="deepseek/deepseek-chat")).argv
    assert "--model=deepseek/deepseek-chat" in argv


def test_mini_swe_agent_runs_yolo_exits_on_submit_and_gets_the_step_limit_and_api_base_as_config(spec: RunSpec) -> None:
    invocation = get_harness("mini-swe-agent", {"base_url": "http://127.0.0.1:9/v1"}).build(with_env(spec))
    assert invocation.argv == (
        "mini",
        "--yolo",
        "--exit-immediately",
        "--task=Fix the bug",
        f"--output={spec.home / 'trajectory.json'}",
        "--model=openai/some-model",
        "--cost-limit=0",
        "-c",
        "mini.yaml",
        "-c",
        "model.model_kwargs.max_retries=0",
        "-c",
        "model.model_kwargs.api_base=http://127.0.0.1:9/v1",
        "-c",
        "agent.step_limit=12",
        "--extra",
        "1",
    )
    env = invocation.env
    assert (env["MSWEA_CONFIGURED"], env["MSWEA_COST_TRACKING"], env["LITELLM_LOCAL_MODEL_COST_MAP"]) == ("true", "ignore_errors", "True")
    assert env["MSWEA_GLOBAL_CONFIG_DIR"] == str(spec.home / ".config" / "mini-swe-agent")
    assert env["MSWEA_MODEL_RETRY_STOP_AFTER_ATTEMPT"] == "1"


def test_the_command_harness_fills_the_template_and_leaves_other_braces_alone(spec: RunSpec) -> None:
    template = ["my-agent", "--task={prompt}", "{workdir}", "{model}", "{run_id}", '{"json": 1}']
    harness = get_harness("command", {"command": template, "credential_env": ["MY_KEY"]})
    invocation = harness.build(with_env(spec))
    assert (harness.binary, harness.credential_env) == ("my-agent", ("MY_KEY",))
    assert invocation.argv == ("my-agent", "--task=Fix the bug", str(spec.workdir), "some-model", "run-7", '{"json": 1}', "--extra", "1")
    assert invocation.env == {
        "HOME": str(spec.home),
        "OVERSEER_RUN_ID": "run-7",
        "OVERSEER_WORKDIR": str(spec.workdir),
        "OVERSEER_MODEL": "some-model",
        "SOME_KEY": "from-profile",
    }


@pytest.mark.parametrize("command", [None, [], "my-agent {prompt}", ["ok", 3]])
def test_the_command_harness_refuses_a_missing_or_malformed_template_and_says_what_to_write(spec: RunSpec, command: object) -> None:
    with pytest.raises(ValidationError, match=r"options\.command: .*non-empty list of strings"):
        get_harness("command", {"command": command}).build(spec)


def test_a_wrongly_typed_option_is_refused_naming_the_option(spec: RunSpec) -> None:
    with pytest.raises(ValidationError, match=r"options\.max_retries: must be a whole number, got 'two'"):
        get_harness("claude-code", {"max_retries": "two"}).build(spec)


def test_run_options_override_the_profiles_and_profile_env_overrides_adapter_defaults(spec: RunSpec) -> None:
    harness = get_harness("gemini", {"base_url": "http://profile"})
    invocation = harness.build(replace(spec, options={"base_url": "http://run"}, env={"GEMINI_CLI_TRUST_WORKSPACE": "false"}))
    assert invocation.env["GOOGLE_GEMINI_BASE_URL"] == "http://run"
    assert invocation.env["GEMINI_CLI_TRUST_WORKSPACE"] == "false"


def test_every_file_an_adapter_writes_is_under_the_run_home(spec: RunSpec) -> None:
    for name in ("claude-code", "codex", "gemini", "opencode", "aider", "mini-swe-agent"):
        files = get_harness(name, {"base_url": "http://x"}).build(spec).files
        assert all(Path(path).is_relative_to(spec.home) for path in files), name
