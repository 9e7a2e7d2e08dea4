"""The order factory the store tests pass to ``place_order``, as the checkout handler does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from skill.domain.cart import Cart
from skill.domain.orders import Order, OrderLine
from skill.errors import EmptyCart

NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)


def make_order(
    user_id: str, request_id: str = "", *, pickup_at: datetime | None = None
) -> Callable[[Cart, int, Any], Order]:
    """A pure order factory: 1.00 per item, placed at :data:`NOW`."""

    def make(cart: Cart, number: int, catalog: Any = None) -> Order:
        if cart.is_empty:
            raise EmptyCart("The cart is empty, so there is nothing to check out.")
        return Order(
            number=number,
            user_id=user_id,
            lines=tuple(OrderLine(ln.item_id, ln.item_id, ln.quantity, 100) for ln in cart.lines),
            currency="USD",
            created_at=NOW,
            locale="en-US",
            request_id=request_id,
            pickup_at=pickup_at,
        )

    return make
