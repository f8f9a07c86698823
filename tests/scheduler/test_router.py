"""The routing policy as a pure function: the reference rules, thresholds, reserves, parking, cascade and modes."""

from __future__ import annotations

from datetime import UTC, datetime

from overseer.config import OverseerConfig
from overseer.domain import Complexity, WorkType
from overseer.scheduler import ProviderState, QuotaView, Router, RouteRequest

ROUTER = Router.from_config(OverseerConfig())
FREE = QuotaView()
LATER = datetime(2030, 1, 1, 14, 0, tzinfo=UTC)

IMPL, REVIEW, PLAN, VERIFY = WorkType.IMPLEMENTATION, WorkType.REVIEW, WorkType.PLANNING, WorkType.VERIFICATION
SIMPLE, MEDIUM, COMPLEX = Complexity.SIMPLE, Complexity.MEDIUM, Complexity.COMPLEX


def view(**states: ProviderState) -> QuotaView:
    return QuotaView(states)


def pick(work: WorkType, complexity: Complexity, quota: QuotaView = FREE, **kw: object) -> str | None:
    return ROUTER.decide(RouteRequest(work, complexity, **kw), quota).profile  # type: ignore[arg-type]


def test_with_every_window_free_the_reference_rules_send_each_kind_of_work_to_its_first_choice() -> None:
    assert pick(PLAN, MEDIUM) == "claude"
    assert pick(REVIEW, MEDIUM) == "claude"
    assert pick(VERIFY, MEDIUM) == "glm"
    assert pick(IMPL, COMPLEX) == "claude"
    assert pick(IMPL, MEDIUM) == "claude"
    assert pick(IMPL, SIMPLE) == "deepseek"


def test_medium_work_leaves_claude_once_its_window_passes_40_percent_and_says_why() -> None:
    decision = ROUTER.decide(RouteRequest(IMPL, MEDIUM), view(claude=ProviderState("claude", percent=62)))
    assert decision.profile == "glm"
    assert decision.reason == "glm: claude window at 62 % > 40 %"
    assert [o.profile for o in decision.usable] == ["glm", "deepseek"]


def test_medium_work_falls_to_deepseek_when_glm_is_parked_too() -> None:
    quota = view(claude=ProviderState("claude", percent=50), glm=ProviderState("glm", parked_until=LATER))
    decision = ROUTER.decide(RouteRequest(IMPL, MEDIUM), quota)
    assert decision.profile == "deepseek" and "glm parked until 2030-01-01 14:00Z" in decision.reason


def test_planning_skips_a_parked_claude_for_openrouter() -> None:
    assert pick(PLAN, COMPLEX, view(claude=ProviderState("claude", parked_until=LATER))) == "openrouter"


def test_ordinary_work_never_dips_into_the_emergency_reserve() -> None:
    keeping = view(claude=ProviderState("claude", percent=85, room=False, reserve_room=True, reserve_percent=20))
    decision = ROUTER.decide(RouteRequest(IMPL, COMPLEX), keeping)
    assert decision.profile == "glm" and "keeping its 20 % reserve" in decision.reason


def test_a_review_uses_claudes_reserve_only_when_glm_cannot_take_it() -> None:
    claude_in_reserve = ProviderState("claude", percent=85, room=False, reserve_room=True, reserve_percent=20)
    assert pick(REVIEW, MEDIUM, view(claude=claude_in_reserve)) == "glm"
    decision = ROUTER.decide(RouteRequest(REVIEW, MEDIUM), view(claude=claude_in_reserve, glm=ProviderState("glm", parked_until=LATER)))
    assert decision.profile == "claude" and decision.option is not None and decision.option.emergency
    assert decision.reason.endswith("(from its emergency reserve)")


def test_nothing_usable_means_wait_with_every_reason_and_the_earliest_retry_time() -> None:
    full = ProviderState("claude", percent=100, room=False, reserve_room=False, resets_at=LATER)
    decision = ROUTER.decide(RouteRequest(IMPL, COMPLEX), view(claude=full, glm=ProviderState("glm", parked_until=LATER.replace(hour=16))))
    assert decision.profile is None and decision.usable == ()
    assert decision.reason.startswith("waiting (rule 4)") and "claude window full" in decision.reason and "glm parked" in decision.reason
    assert decision.retry_at == LATER


def test_a_failed_attempt_cascades_one_step_up_from_the_profile_that_failed() -> None:
    decision = ROUTER.decide(RouteRequest(IMPL, SIMPLE, attempt=2, previous_profile="deepseek"), FREE)
    assert decision.cascaded and decision.profile == "glm" and "cascade after deepseek failed attempt 1" in decision.reason
    assert pick(IMPL, SIMPLE, attempt=3, previous_profile="glm") == "openrouter"
    assert pick(IMPL, SIMPLE, attempt=4, previous_profile="openrouter") == "claude"


def test_the_top_of_the_cascade_stays_on_top_and_may_use_the_reserve() -> None:
    in_reserve = view(claude=ProviderState("claude", percent=90, room=False, reserve_room=True))
    decision = ROUTER.decide(RouteRequest(IMPL, COMPLEX, attempt=2, previous_profile="claude"), in_reserve)
    assert decision.profile == "claude" and decision.option is not None and decision.option.emergency


def test_a_profile_outside_the_cascade_retries_by_its_rule() -> None:
    decision = ROUTER.decide(RouteRequest(IMPL, MEDIUM, attempt=2, previous_profile="someone-else"), FREE)
    assert not decision.cascaded and decision.profile == "claude"


def test_frugal_mode_routes_as_if_work_were_simpler_and_lowers_thresholds() -> None:
    assert pick(IMPL, COMPLEX, mode="frugal") == "claude"  # complex routes as medium, claude at 0 % < 20 %
    assert pick(IMPL, COMPLEX, view(claude=ProviderState("claude", percent=25)), mode="frugal") == "glm"
    assert pick(IMPL, MEDIUM, mode="frugal") == "deepseek"


def test_performance_mode_raises_the_threshold_and_max_sends_everything_to_the_strongest() -> None:
    at_62 = view(claude=ProviderState("claude", percent=62))
    assert pick(IMPL, MEDIUM, at_62) == "glm"
    assert pick(IMPL, MEDIUM, at_62, mode="performance") == "claude"
    assert pick(IMPL, SIMPLE, mode="max") == "claude"


def test_a_profile_that_cannot_run_here_is_passed_over_with_its_reason() -> None:
    decision = ROUTER.decide(RouteRequest(IMPL, COMPLEX), QuotaView(unusable={"claude": "ANTHROPIC_API_KEY is not set"}))
    assert decision.profile == "glm" and "claude unusable here (ANTHROPIC_API_KEY is not set)" in decision.reason


def test_the_same_inputs_always_give_the_same_decision() -> None:
    quota = view(claude=ProviderState("claude", percent=41))
    first = ROUTER.decide(RouteRequest(IMPL, MEDIUM), quota)
    assert all(ROUTER.decide(RouteRequest(IMPL, MEDIUM), quota) == first for _ in range(5))


def test_a_busy_pool_makes_the_work_wait_for_a_slot_instead_of_spending_on_the_next_step() -> None:
    busy = view(claude=ProviderState("claude", busy=True))
    decision = ROUTER.decide(RouteRequest(IMPL, MEDIUM), busy)
    assert decision.profile is None and decision.reason == "waiting for a slot (rule 5): claude pool full"
    assert pick(IMPL, MEDIUM, busy, mode="performance") == "glm"  # performance buys speed: it takes the next step


def test_a_full_window_is_passed_over_even_when_a_later_pool_is_busy() -> None:
    quota = view(claude=ProviderState("claude", percent=100, room=False, reserve_room=False), glm=ProviderState("glm", busy=True))
    assert pick(IMPL, MEDIUM, quota) is None
    assert pick(IMPL, MEDIUM, view(claude=ProviderState("claude", percent=100, room=False, reserve_room=False))) == "glm"
