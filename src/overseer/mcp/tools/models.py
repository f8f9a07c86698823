"""Models and quota: ask one model directly, list the models (profiles) there are, see how much quota is left."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field, StringConstraints

from overseer.api.schemas import NO_NUL, PRINTABLE, Text
from overseer.bootstrap import model_gateway, open_skills, quota_book
from overseer.domain import ModelError
from overseer.mcp.shapes import AnswerOut, ModelOut, ModelsOut, ProviderQuota, QuotaOut, QuotaWindow
from overseer.mcp.tooling import add, caller
from overseer.ports import ModelCall, ModelGateway, ModelReply
from overseer.service import Supervisor

Model = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE)]
Prompt = Annotated[str, StringConstraints(min_length=1, max_length=100_000, pattern=NO_NUL)]


def register(server: MCPServer, sup: Supervisor) -> None:
    def quota_status() -> QuotaOut:
        """Show every provider's quota windows: used, limit, percent, when each resets, the emergency reserve, and whether the
        provider is parked (after a rate limit) and until when.

        Use this before starting expensive work or when calls fail with QuotaExhausted, to see what is left and when it
        frees up. Do not use it to choose a model for ask_model (list_models says which have room).
        """
        book = quota_book(sup)
        found: dict[str, ProviderQuota] = {}
        for row in book.status():
            entry = found.get(row.provider)
            if entry is None:
                entry = found[row.provider] = ProviderQuota(
                    provider=row.provider, can_use=book.can_use(row.provider), windows=[],
                    parked_until=row.parked.until.isoformat() if row.parked else None,
                    parked_reason=row.parked.reason if row.parked else None)
            if row.usage is not None:
                entry.windows.append(QuotaWindow.model_validate(row.usage.dict()))
        return QuotaOut(at=book.clock().isoformat(), providers=list(found.values()))

    def list_models() -> ModelsOut:
        """List the models Overseer can call: each profile of overseer.yaml with its provider, its model, and whether the
        provider's quota has room for a call now.

        Use this to pick the `model` for ask_model or a skill tool, or to see which models are usable right now. Do not use
        it for usage numbers (use quota_status).
        """
        book = quota_book(sup)
        parks = book.ledger.parks(book.clock())
        rows = []
        for name, prof in sup.config.profiles.items():
            direct = prof.options.get("litellm_model")
            park = parks.get(prof.provider) if prof.provider else None
            rows.append(ModelOut(profile=name, harness=prof.harness, provider=prof.provider, model=prof.model,
                                 direct_model=str(direct) if direct and direct != prof.model else None,
                                 has_room=book.can_use(prof.provider) if prof.provider else True,
                                 parked_until=park.until.isoformat() if park else None))
        return ModelsOut(models=rows)

    def ask_model(
        ctx: Context,
        model: Annotated[Model, Field(description="A profile name from list_models, or a model string one of them uses.")],
        prompt: Annotated[Prompt, Field(description="The question or instruction, complete: the model sees nothing else.")],
        system: Annotated[Text | None, Field(description="An optional system message (role, rules, output format).")] = None,
        max_tokens: Annotated[int | None, Field(ge=1, le=64_000, description="Cap on the answer's length.")] = None,
    ) -> AnswerOut:
        """Ask one model a question directly and get its answer: one call, metered against the quota like every call
        Overseer makes (a second opinion, a translation, a summary, a check by a stronger or cheaper model).

        Use this when you want a specific model's answer to a self-contained prompt. Do not use it for a code review, a
        debugging session, a spec, a test plan or a retrospective: the skill_* tools do those with their discipline and what
        the knowledge store knows. An unknown model is refused with the profiles and models there are.
        """
        who = caller(ctx)
        profiles = open_skills(sup, actor=who).profiles_for(model)
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        reply = _first_answer(model_gateway(sup, actor=who), profiles, messages, max_tokens)
        return AnswerOut(text=reply.text, profile=reply.profile, provider=reply.provider, model=reply.model, tokens_in=reply.tokens_in,
                         tokens_out=reply.tokens_out, cost_usd=reply.cost_usd, tried=list(reply.tried))

    add(server, quota_status, title="Quota status", read_only=True, idempotent=True)
    add(server, list_models, title="List models", read_only=True, idempotent=True)
    add(server, ask_model, title="Ask a model", open_world=True)


def _first_answer(gateway: ModelGateway, profiles: list[str], messages: list[dict[str, str]], max_tokens: int | None) -> ModelReply:
    """The answer of the first of ``profiles`` (in order) that gives one; the failures before it go into ``tried``. When all
    fail: the one error, or a ``ModelError`` listing each."""
    tried: list[str] = []
    errors: list[ModelError] = []
    for profile in profiles:
        try:
            reply = gateway.complete(ModelCall(messages, purpose="mcp:ask_model", max_tokens=max_tokens, profile=profile))
        except ModelError as err:
            tried.append(f"{profile}: {err}")
            errors.append(err)
            continue
        return replace(reply, tried=(*tried, *reply.tried))
    if len(errors) == 1:
        raise errors[0]
    raise ModelError("no profile answered — tried: " + "; ".join(tried))
