"""``skills:`` in overseer.yaml: where the project's own skills live, the model chain of each skill, session history.

    skills:
      folder: skills            # the project's own skills (*.md), relative to the root; same name overrides a built-in
      history_limit: 5          # earlier calls of a session quoted in ``## Session history``
      history_chars: 2000       # ... in at most about this many characters
      review:                   # any other key is a skill name
        chain: [claude, glm]    # profiles tried in order; none: routed by the skill's work type and complexity

Per-skill entries are checked after the rest (``check_skills``, called from ``config.check_references``) so a wrong one
is reported with its own line: a setting that is not a mapping (a misspelt setting), an unknown key, a chain entry
naming no profile.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError


class SkillSettings(BaseModel):
    """One skill's settings: its model chain (profile names tried in order)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chain: list[str] = Field(default=[], description="profiles tried in order; empty: route by work type and complexity")


class SkillsConfig(BaseModel):
    """The ``skills:`` section; every key besides the settings below is a skill name with its ``SkillSettings``."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, Any] = Field(init=False)

    folder: str = Field(default="skills", description="the project's own skills, relative to the project root")
    history_limit: int = Field(default=5, ge=0, le=50, description="earlier calls of a session quoted to the model")
    history_chars: int = Field(default=2000, ge=0, le=50_000, description="the session history's budget in characters")

    def settings(self) -> dict[str, SkillSettings]:
        """The per-skill settings, by skill name (checked at load, so they parse)."""
        return {name: SkillSettings.model_validate(value) for name, value in (self.__pydantic_extra__ or {}).items()}

    def chain(self, skill: str) -> list[str]:
        """The profiles configured for ``skill``, in order; empty when it has none (the gateway routes the call)."""
        found = self.settings().get(skill)
        return list(found.chain) if found is not None else []


def check_skills(skills: SkillsConfig, profiles: Mapping[str, object]) -> tuple[list[str | int], str] | None:
    """The first wrong per-skill entry, as (path in the file, message); None when all are right."""
    own = sorted(SkillsConfig.model_fields)
    for name, value in (skills.__pydantic_extra__ or {}).items():
        if not isinstance(value, dict):
            guess = difflib.get_close_matches(name, own, n=1)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            return ["skills", name], (f"skills.{name} is neither a setting ({', '.join(own)}) nor a skill's settings: {hint}"
                                      f"a skill takes a mapping like `{name}: {{chain: [profile, ...]}}`")
        try:
            settings = SkillSettings.model_validate(value)
        except PydanticValidationError as err:
            first = err.errors()[0]
            loc = [str(p) for p in first["loc"]]
            if first["type"] == "extra_forbidden":
                return ["skills", name, *loc], f"unknown key 'skills.{name}.{'.'.join(loc)}' (a skill takes: chain)"
            return ["skills", name, *loc], f"skills.{name}.{'.'.join(loc)}: {first['msg']} (got {first.get('input')!r})"
        for j, profile in enumerate(settings.chain):
            if profile not in profiles:
                return ["skills", name, "chain", j], (f"skills.{name}.chain names {profile!r}, which is not a profile "
                                                      f"(profiles: {', '.join(sorted(profiles)) or 'none'})")
    return None
