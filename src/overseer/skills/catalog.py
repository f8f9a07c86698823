"""The skill catalog: the disciplines shipped in the package plus the project's own folder.

A skill is one markdown file ``NAME.md`` that starts with front matter::

    ---
    name: review                     # must be the file name without .md
    description: when to use it      # a model (and ``overseer skill list``) reads this
    work_type: review                # planning | implementation | review | verification: how its calls are routed
    complexity: medium               # simple | medium | complex
    ---
    # Discipline: ...

Built-ins live in ``overseer/skills/disciplines/``; the project's own in ``skills.folder`` (default ``skills/`` at the
root, versioned with the code, where ``.overseer/`` is not). A project file with a built-in's name replaces it; a
project ``_protocol.md`` replaces the shared protocol. Files starting with ``_`` are never skills. A file that cannot be
read or whose front matter is wrong is a ``ConfigError`` with its path, the line and the field — never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from overseer.config.skills import SkillsConfig
from overseer.domain import Complexity, ConfigError, WorkType
from overseer.domain.errors import UnknownSkill

PROTOCOL = "_protocol.md"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FIELD = re.compile(r"^([A-Za-z_][\w-]*)\s*:(.*)$")
FIELDS = ("name", "description", "work_type", "complexity")
RESERVED = frozenset(SkillsConfig.model_fields)  # keys of ``skills:`` that cannot be skill names
BUILTIN = "built-in"


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    work_type: WorkType
    complexity: Complexity
    body: str  # the discipline: the markdown after the front matter
    source: str  # ``built-in`` or the file's path
    overrides: bool = False  # a project file that replaces the built-in of the same name

    @property
    def builtin(self) -> bool:
        return self.source == BUILTIN

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "description": self.description, "work_type": self.work_type.value,
                "complexity": self.complexity.value, "source": self.source, "overrides": self.overrides}


class Catalog:
    """The skills by name and the shared protocol prepended to each."""

    def __init__(self, skills: Iterable[Skill], protocol: str, folder: Path | None = None) -> None:
        self._skills = {s.name: s for s in sorted(skills, key=lambda s: s.name)}
        self.protocol, self.folder = protocol, folder

    @classmethod
    def load(cls, folder: Path | None = None) -> Catalog:
        """The built-ins, then ``folder``'s ``*.md`` over them (a folder that does not exist adds nothing)."""
        shipped = resources.files("overseer.skills").joinpath("disciplines")
        skills = {s.name: s for s in (parse_skill(f.read_text(encoding="utf-8"), BUILTIN, f.name) for f in _skill_files(shipped))}
        protocol = shipped.joinpath(PROTOCOL).read_text(encoding="utf-8")
        if folder is not None and folder.is_dir():
            own = folder / PROTOCOL
            if own.is_file():
                protocol = _read(own)
            for path in sorted(f for f in folder.glob("*.md") if not f.name.startswith("_") and f.is_file()):
                skill = parse_skill(_read(path), str(path), path.name)
                if skill.name in skills:
                    skill = replace(skill, overrides=True)
                skills[skill.name] = skill
        return cls(skills.values(), protocol.strip() + "\n", folder)

    def names(self) -> list[str]:
        return list(self._skills)

    def get(self, name: str) -> Skill:
        """The skill called ``name``; ``UnknownSkill`` listing those there are."""
        try:
            return self._skills[name]
        except KeyError:
            raise UnknownSkill(name, self.names()) from None

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._skills.values())

    def __len__(self) -> int:
        return len(self._skills)


def _skill_files(folder: Traversable) -> list[Traversable]:
    return sorted((f for f in folder.iterdir() if f.name.endswith(".md") and not f.name.startswith("_") and f.is_file()),
                  key=lambda f: f.name)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(str(path), None, f"cannot read this skill file: {err}") from None


def parse_skill(text: str, source: str, filename: str) -> Skill:
    """One skill file's front matter and discipline; ``ConfigError(source, line, …)`` naming the field when wrong."""
    where = source if source != BUILTIN else f"overseer/skills/disciplines/{filename}"
    meta, body = _front_matter(text, where)
    stem = filename.removesuffix(".md")

    def bad(field: str, message: str) -> ConfigError:
        return ConfigError(where, meta[field][1] if field in meta else 1, f"{field}: {message}")

    unknown = sorted(set(meta) - set(FIELDS), key=lambda f: meta[f][1])
    if unknown:
        raise bad(unknown[0], f"unknown field (a skill's front matter has: {', '.join(FIELDS)})")
    for field in FIELDS:
        if not meta.get(field, ("", 0))[0]:
            raise bad(field, f"missing or empty: add `{field}: …` to the front matter" + _choices(field))
    value = {field: meta[field][0] for field in FIELDS}
    name = value["name"]
    if not NAME.match(name) or name in RESERVED:
        raise bad("name", f"{name!r} is not a usable skill name: lower case letters, digits, - and _"
                          + (f", and not one of {', '.join(sorted(RESERVED))}" if name in RESERVED else ""))
    if name != stem:
        raise bad("name", f"{name!r} differs from the file name {filename!r}: rename the file to {name}.md or the skill to {stem}")
    for field, kind in (("work_type", WorkType), ("complexity", Complexity)):
        if value[field] not in {v.value for v in kind}:
            raise bad(field, f"{value[field]!r} is not allowed" + _choices(field))
    if not body.strip():
        raise ConfigError(where, None, "the skill has front matter but no discipline after it: write the instructions below the ---")
    return Skill(name, value["description"], WorkType(value["work_type"]), Complexity(value["complexity"]), body.strip() + "\n", source)


def _front_matter(text: str, where: str) -> tuple[dict[str, tuple[str, int]], str]:
    """The fields between the ``---`` lines as {field: (value, line)}, and the text after them.

    Each field is one ``field: value`` line (the value may hold colons; quotes around it are dropped); indented lines
    continue the field above, as do the lines after a lone ``>`` or ``|``. ``#`` lines are comments."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ConfigError(where, 1, "no front matter: start the file with ---, then name:, description:, work_type:, complexity:, then ---")
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
    if end is None:
        raise ConfigError(where, 1, "the front matter is not closed: add a line --- after its last field")
    meta: dict[str, tuple[str, int]] = {}
    field = None
    for number, line in enumerate(lines[1:end], 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[:1].isspace() and field is not None:
            meta[field] = (" ".join((meta[field][0], line.strip())).strip(), meta[field][1])
            continue
        match = FIELD.match(line)
        if match is None:
            raise ConfigError(where, number, f"expected `field: value` here, got {line.strip()!r}")
        field = match.group(1)
        if field in meta:
            raise ConfigError(where, number, f"{field}: given twice (first on line {meta[field][1]})")
        raw = match.group(2).strip()
        meta[field] = (_unquote("" if raw in (">", "|", ">-", "|-") else raw), number)
    return meta, "".join(lines[end + 1:])


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _choices(field: str) -> str:
    values = {"work_type": [w.value for w in WorkType], "complexity": [c.value for c in Complexity]}.get(field)
    return f" (one of: {', '.join(values)})" if values else ""
