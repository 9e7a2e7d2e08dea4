"""Every request runs within one wall-clock budget that the stores consult.

GIVEN a store that records how much time ``skill.deadline`` says is left, WHEN the skill
handles a request, THEN the store sees the request's budget, narrowed under Lambda to what
the invocation has left minus a margin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skill import deadline
from skill.app import LAMBDA_MARGIN_S, REQUEST_BUDGET_S, CornerShopSkill
from skill.domain.cart import Cart
from skill.store.memory import MemoryStore

Event = Callable[..., dict[str, Any]]


class RecordingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[float] = []

    def get_cart(self, user_id: str) -> Cart:
        self.seen.append(deadline.remaining(1000.0))
        return super().get_cart(user_id)


class LambdaContext:
    def __init__(self, remaining_ms: int) -> None:
        self._ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._ms


def test_store_calls_see_the_request_budget(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    store = RecordingStore()
    make_skill(store=store).handle(event("launch"))
    assert store.seen, "the launch handler read no cart"
    assert all(0 < left <= REQUEST_BUDGET_S for left in store.seen)
    assert deadline.deadline_at() is None  # the budget ends with the request


def test_under_lambda_the_budget_is_what_the_invocation_has_left(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    store = RecordingStore()
    make_skill(store=store).handle(event("launch"), LambdaContext(remaining_ms=1200))
    assert store.seen
    assert all(0 < left <= 1.2 - LAMBDA_MARGIN_S for left in store.seen)
