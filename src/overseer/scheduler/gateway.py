"""The routed model gateway: one port for direct model calls (reviews, plans, skills).

A call is routed like a task of its work type and complexity, takes one request from the provider's quota
atomically, goes out through the transport, and is settled in the ledger with its tokens and dollars. A 429
parks the provider (until the reset time it gave, else a minute) and the call falls back along the chain;
so does any other failure. Nothing on the chain with room: ``QuotaExhausted`` with what was tried and when to retry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from overseer.config import OverseerConfig, ProfileConfig
from overseer.domain import ModelError, QuotaExhausted, RateLimited, WorkType, utcnow
from overseer.domain.enums import Complexity
from overseer.domain.usage import UsageKind
from overseer.ports import ModelCall, ModelReply, ModelTarget, ModelTransport, PriceBook, RawReply
from overseer.scheduler.quota import QuotaBook
from overseer.scheduler.router import Option, Router, RouteRequest


def target_for(name: str, prof: ProfileConfig, env: Callable[[str], str | None]) -> ModelTarget:
    """Where a profile's direct calls go: ``options.litellm_model`` (else its model), ``options.api_base`` or the variable
    ``options.api_base_env``, and the key in the variable ``options.env_key``."""
    opts = prof.options
    model = str(opts.get("litellm_model") or prof.model or "")
    if not model:
        raise ModelError(f"profile {name!r} has no model for direct calls: set model: or options.litellm_model")
    base = opts.get("api_base") or (env(str(opts["api_base_env"])) if opts.get("api_base_env") else None)
    key = env(str(opts["env_key"])) if opts.get("env_key") else None
    return ModelTarget(name, prof.provider, model, str(base) if base else None, key, float(opts.get("timeout_seconds", 120.0)))


class RoutedGateway:
    def __init__(self, config: OverseerConfig, router: Router, quota: QuotaBook, transport: ModelTransport, prices: PriceBook,
                 env: Callable[[str], str | None], clock: Callable[[], datetime] = utcnow, actor: str = "gateway") -> None:
        self.config, self.router, self.quota, self.transport, self.prices = config, router, quota, transport, prices
        self.env, self.clock, self.actor = env, clock, actor

    def _options(self, call: ModelCall) -> tuple[list[Option], str, datetime | None]:
        if call.profile is not None:
            prof = self.config.profiles.get(call.profile)
            if prof is None:
                raise ModelError(f"unknown profile {call.profile!r} (profiles: {', '.join(sorted(self.config.profiles))})")
            return [Option(call.profile, prof.provider, call.emergency)], "pinned", None
        req = RouteRequest(WorkType(call.work_type), Complexity(call.complexity), emergency=call.emergency)
        decision = self.router.decide(req, self.quota.view())
        return list(decision.usable), decision.reason, decision.retry_at

    def complete(self, call: ModelCall) -> ModelReply:
        options, reason, retry_at = self._options(call)
        tried: list[str] = []
        errors = 0
        for opt in options:
            prof = self.config.profiles[opt.profile]
            entry = self.quota.acquire(opt.provider, kind=UsageKind.CALL, emergency=opt.emergency or call.emergency, profile=opt.profile,
                                       model=prof.model, task_id=call.task_id)
            if entry is None:
                tried.append(f"{opt.profile}: no room in {opt.provider}'s window")
                continue
            try:
                target = target_for(opt.profile, prof, self.env)
                raw = self.transport.complete(target, call)
            except RateLimited as err:
                self.quota.ledger.cancel(entry.id)
                until = self.quota.park_rate_limited(opt.provider, err.reset_at, f"429 from {opt.profile}: {err}", actor=self.actor)
                tried.append(f"{opt.profile}: rate limited until {until.isoformat(timespec='seconds')}")
                continue
            except ModelError as err:
                self.quota.ledger.settle(entry.id, requests=1)
                tried.append(f"{opt.profile}: {err}")
                errors += 1
                continue
            cost = raw.cost_usd if raw.cost_usd is not None else self._price(target.model, raw)
            self.quota.ledger.settle(entry.id, requests=1, tokens_in=raw.tokens_in, tokens_out=raw.tokens_out, cost_usd=cost or 0.0,
                                     model=target.model)
            return ModelReply(raw.text, opt.profile, opt.provider, target.model, raw.tokens_in, raw.tokens_out, cost or 0.0, tuple(tried))
        if errors:
            raise ModelError(f"every profile on the chain failed ({reason}) — tried: " + "; ".join(tried))
        raise QuotaExhausted(f"no provider has room for this {call.work_type} call ({reason})", tried, retry_at)

    def _price(self, model: str, raw: RawReply) -> float | None:
        """Dollars from the price book: the model as configured, else as the reply named it."""
        for name in (model, raw.model):
            cost = self.prices.cost(name, raw.tokens_in, raw.tokens_out) if name else None
            if cost is not None:
                return cost
        return None
