"""The environment an agent process sees: a short allow-list of the supervisor's own, never its credentials.

A profile names credentials by variable (``ANTHROPIC_API_KEY: ${ANTHROPIC_API_KEY}``); ``expand_profile_env``
fills them in from the supervisor's environment and returns every value that must be masked in logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from overseer.domain.errors import OverseerError

__all__ = ["ALLOWED_VARIABLES", "CredentialsMissing", "EnvError", "check_credentials", "expand_profile_env", "minimal_env"]

ALLOWED_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL", "TERM")
"""Copied from the supervisor's environment when set. No HOME (each run gets its own), no credentials."""

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEY = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)


class EnvError(OverseerError):
    """A profile's environment cannot be built (``.key`` names the profile's env key, ``.variable`` what is missing)."""

    def __init__(self, message: str, key: str | None = None, variable: str | None = None) -> None:
        super().__init__(message)
        self.key, self.variable = key, variable


class CredentialsMissing(EnvError):
    """None of the variables a harness needs for its credentials is set (``.names``)."""

    def __init__(self, names: tuple[str, ...], harness: str | None = None) -> None:
        who = f"harness {harness!r}" if harness else "this harness"
        listed = ", ".join(names)
        hint = f"{names[0]}: ${{{names[0]}}}"
        super().__init__(f"{who} needs credentials, but none of {listed} is set: export one in the supervisor's environment "
                         f"and name it in the profile's env (e.g. {hint})")
        self.names = names


def minimal_env(extra: Mapping[str, str], home: Path, source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed variables of ``source`` (default: ``os.environ``), ``HOME=home``, then ``extra`` over both."""
    source = os.environ if source is None else source
    env = {name: source[name] for name in ALLOWED_VARIABLES if name in source}
    env["HOME"] = str(home)
    env.update(extra)
    return env


def expand_profile_env(env: Mapping[str, str], source: Mapping[str, str] | None = None,
                       profile: str | None = None) -> tuple[dict[str, str], set[str]]:
    """Substitute ``${NAME}`` in every value from ``source`` (default: ``os.environ``).

    Returns the expanded mapping and the secrets to mask: every substituted value, and the whole value of
    every key whose name contains KEY, TOKEN, SECRET or PASSWORD. Empty values are never secrets.
    Raises ``EnvError`` naming the profile key and the variable when a referenced variable is not set.
    """
    source = os.environ if source is None else source
    expanded: dict[str, str] = {}
    secrets: set[str] = set()
    for key, value in env.items():
        def substitute(match: re.Match[str], key: str = key) -> str:
            name = match.group(1)
            if name not in source:
                where = f"profiles.{profile}.env.{key}" if profile else f"env key {key}"
                raise EnvError(f"{where} refers to ${{{name}}}, which is not set in the supervisor's environment "
                               f"(export {name} before starting Overseer, or change the profile)", key=key, variable=name)
            secrets.add(source[name])
            return source[name]

        expanded[key] = _REFERENCE.sub(substitute, value)
        if _SECRET_KEY.search(key):
            secrets.add(expanded[key])
    secrets.discard("")
    return expanded, secrets


def check_credentials(required_any: tuple[str, ...], env: Mapping[str, str], harness: str | None = None) -> None:
    """Raise ``CredentialsMissing`` unless at least one of ``required_any`` is set (non-empty) in ``env``."""
    if required_any and not any(env.get(name) for name in required_any):
        raise CredentialsMissing(required_any, harness)

