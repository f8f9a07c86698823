"""Running a skill: one model call with the shared protocol, the discipline, what is known and what was said before.

The model receives a system message (the protocol, then the skill's discipline) and a user message::

    ## Relevant knowledge      (entries the knowledge store finds for the request; left out when none)
    ## Session history        (earlier calls of the same session; left out when none)
    ## Request                (what the caller asked)

The chain: ``model=`` for this call (a profile name, or a model string some profiles use: those profiles in config
order), else ``skills.<name>.chain``, else no pin: the gateway routes the call by the skill's work type and complexity.
Pinned profiles are tried in order, a profile that fails or has no room passing to the next; the result says which
were tried. The answer is returned without its habitual trailing JSON (``trailing``), and every call is recorded as a
``skill.called`` event (a failed one as ``skill.failed``); the gateway writes the usage to the ledger itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from overseer.config import OverseerConfig
from overseer.domain import ModelError, QuotaExhausted, ValidationError
from overseer.ports import ModelCall, ModelGateway, ModelReply
from overseer.skills.catalog import Catalog, Skill
from overseer.skills.history import CALLED, EXCERPT, FAILED, SessionHistory, excerpt, render_history
from overseer.skills.trailing import split_trailing_json

Relevant = Callable[[str, int], str]  # (request, how many entries) -> markdown, heading or not; "" when none
Record = Callable[[str, Mapping[str, Any]], None]  # (event kind, data)
RELEVANT_ENTRIES = 3
KNOWLEDGE_HEADING = "## Relevant knowledge"


@dataclass(frozen=True)
class SkillResult:
    markdown: str
    skill: str
    profile: str
    provider: str | None
    model: str
    duration_s: float
    tokens_in: int
    tokens_out: int
    cost_usd: float
    tried: tuple[str, ...] = ()  # "profile: why it was passed over", in order
    session: str | None = None
    stripped: tuple[str, ...] = ()  # the trailing JSON blocks removed from the answer

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tried": list(self.tried), "stripped": list(self.stripped)}


class SkillRunner:
    def __init__(self, gateway: ModelGateway, catalog: Catalog, config: OverseerConfig, *, relevant: Relevant | None,
                 history: SessionHistory, record: Record, clock: Callable[[], float] = time.monotonic) -> None:
        self.gateway, self.catalog, self.config = gateway, catalog, config
        self.relevant, self.history, self.record, self.clock = relevant, history, record, clock
        for name in config.skills.settings():
            if name not in catalog.names():
                raise ValidationError(f"skills.{name}", f"overseer.yaml sets a chain for {name!r}, which is no skill "
                                                        f"(skills: {', '.join(catalog.names())}): fix the name or remove the entry")

    def run(self, name: str, prompt: str, *, model: str | None = None, session: str | None = None,
            task_id: str | None = None) -> SkillResult:
        """Run skill ``name`` on ``prompt``; ``UnknownSkill``, ``ValidationError('model' | 'prompt')``, or the gateway's
        ``QuotaExhausted`` / ``ModelError`` when no profile answered."""
        skill = self.catalog.get(name)
        if not prompt.strip():
            raise ValidationError("prompt", "empty: say what the skill should work on")
        chain = self.chain(skill, model)
        messages = self.messages(skill, prompt, session)
        started = self.clock()
        try:
            reply, tried = self._complete(skill, messages, chain, task_id)
        except ModelError as err:
            self.record(FAILED, {"skill": name, "session": session, "task_id": task_id, "chain": chain, "error": str(err),
                                 "duration_s": round(self.clock() - started, 3)})
            raise
        duration = round(self.clock() - started, 3)
        markdown, stripped = split_trailing_json(reply.text, prompt)
        markdown = markdown.strip() + "\n" if markdown.strip() else ""
        result = SkillResult(markdown, name, reply.profile, reply.provider, reply.model, duration, reply.tokens_in,
                             reply.tokens_out, reply.cost_usd, tried, session, stripped)
        self.record(CALLED, {"skill": name, "session": session, "task_id": task_id, "source": skill.source,
                             "profile": reply.profile, "provider": reply.provider, "model": reply.model, "duration_s": duration,
                             "tokens_in": reply.tokens_in, "tokens_out": reply.tokens_out, "cost_usd": reply.cost_usd,
                             "tried": list(tried), "stripped_json": len(stripped), "prompt": excerpt(prompt, EXCERPT),
                             "answer": excerpt(markdown, EXCERPT)})
        return result

    def chain(self, skill: Skill, model: str | None = None) -> list[str]:
        """The profiles to try, in order; empty: let the gateway route by the skill's work type and complexity."""
        if model is not None:
            return self.profiles_for(model)
        return self.config.skills.chain(skill.name)

    def profiles_for(self, model: str) -> list[str]:
        """The profile called ``model``, else the profiles whose model is ``model`` (as configured, as LiteLLM names it,
        or without LiteLLM's ``provider/`` prefix); ``ValidationError('model')`` listing what exists when none."""
        profiles = self.config.profiles
        if model in profiles:
            return [model]
        found = [name for name, prof in profiles.items() if model in _model_names(prof.model, prof.options.get("litellm_model"))]
        if found:
            return found
        models = sorted({m for p in profiles.values() for m in (p.model, p.options.get("litellm_model")) if m})
        raise ValidationError("model", f"{model!r} is neither a profile nor the model of one (profiles: {', '.join(profiles) or 'none'}; "
                                       f"models: {', '.join(map(str, models)) or 'none'})")

    def messages(self, skill: Skill, prompt: str, session: str | None) -> list[dict[str, str]]:
        """The system message (protocol and discipline) and the user message (knowledge, history, request)."""
        parts = []
        known = self.relevant(prompt, RELEVANT_ENTRIES).strip() if self.relevant is not None else ""
        if known:  # the knowledge store's section comes with its heading; a plain list gets one
            parts.append((known if known.startswith(KNOWLEDGE_HEADING) else f"{KNOWLEDGE_HEADING}\n\n{known}") + "\n")
        limit = self.config.skills.history_limit
        if session and limit:
            past = render_history(self.history(session, limit), self.config.skills.history_chars)
            if past:
                parts.append(past)
        parts.append(f"## Request\n\n{prompt.strip()}\n")
        system = f"{self.catalog.protocol.strip()}\n\n---\n\n{skill.body.strip()}\n"
        return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(parts)}]

    def _complete(self, skill: Skill, messages: Sequence[Mapping[str, str]], chain: list[str],
                  task_id: str | None) -> tuple[ModelReply, tuple[str, ...]]:
        def call(profile: str | None) -> ModelCall:
            return ModelCall(messages, work_type=skill.work_type.value, complexity=skill.complexity.value, task_id=task_id,
                             purpose=f"skill:{skill.name}", profile=profile)

        if not chain:
            reply = self.gateway.complete(call(None))
            return reply, reply.tried
        tried: list[str] = []
        full: list[QuotaExhausted] = []
        for profile in chain:
            try:
                reply = self.gateway.complete(call(profile))
            except QuotaExhausted as err:
                full.append(err)
                tried.extend(err.tried or (f"{profile}: {err}",))
                continue
            except ModelError as err:
                tried.append(_why(profile, err))
                continue
            return reply, (*tried, *reply.tried)
        if len(full) == len(chain):
            retry = min((e.retry_at for e in full if isinstance(e.retry_at, datetime)), default=None)
            raise QuotaExhausted(f"skill {skill.name!r}: no profile on its chain ({', '.join(chain)}) has room now", tried, retry)
        raise ModelError(f"skill {skill.name!r}: every profile on its chain failed — tried: " + "; ".join(tried))


def _model_names(model: str | None, litellm: object) -> set[str]:
    names = {n for n in (model, str(litellm) if litellm else None) if n}
    return names | {n.split("/", 1)[1] for n in names if "/" in n}


def _why(profile: str, err: ModelError) -> str:
    """What a pinned call's failure says, without the gateway's own preamble (its tried entries name the profile)."""
    text = str(err)
    marker = " — tried: "
    return text.split(marker, 1)[1] if marker in text else f"{profile}: {text}"
