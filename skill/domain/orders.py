"""Orders: what a checkout turns a cart into, and how an order moves along."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from skill.domain.cart import Cart, CartLine
from skill.domain.catalog import Catalog
from skill.domain.money import Money
from skill.errors import EmptyCart, InvalidStatusChange

FIRST_ORDER_NUMBER = 1001


class OrderStatus(StrEnum):
    PLACED = "placed"
    READY = "ready"
    COLLECTED = "collected"
    CANCELLED = "cancelled"


# Which status may follow which: the shop can't un-collect an order.
_NEXT: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.READY, OrderStatus.CANCELLED}),
    OrderStatus.READY: frozenset({OrderStatus.COLLECTED, OrderStatus.CANCELLED}),
    OrderStatus.COLLECTED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class OrderLine:
    item_id: str
    name: str
    quantity: int
    unit_price: int  # minor units, at the time of the order

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Order:
    number: int
    user_id: str
    lines: tuple[OrderLine, ...]
    currency: str
    created_at: datetime
    locale: str
    status: OrderStatus = OrderStatus.PLACED
    request_id: str = ""
    pickup_at: datetime | None = None

    @property
    def total(self) -> Money:
        return Money(sum(line.line_total for line in self.lines), self.currency)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def as_cart(self) -> Cart:
        return Cart(tuple(CartLine(line.item_id, line.quantity) for line in self.lines))

    def with_status(self, status: OrderStatus) -> Order:
        if status == self.status:
            return self
        if status not in _NEXT[self.status]:
            raise InvalidStatusChange(
                f"Order {self.number} is {self.status.value} and cannot become {status.value}."
            )
        return Order(
            number=self.number,
            user_id=self.user_id,
            lines=self.lines,
            currency=self.currency,
            created_at=self.created_at,
            locale=self.locale,
            status=status,
            request_id=self.request_id,
            pickup_at=self.pickup_at,
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "user_id": self.user_id,
            "lines": [[ln.item_id, ln.name, ln.quantity, ln.unit_price] for ln in self.lines],
            "currency": self.currency,
            "created_at": self.created_at.isoformat(),
            "locale": self.locale,
            "status": self.status.value,
            "request_id": self.request_id,
            "pickup_at": self.pickup_at.isoformat() if self.pickup_at else None,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Order:
        pickup = data.get("pickup_at")
        return cls(
            number=int(data["number"]),
            user_id=str(data["user_id"]),
            lines=tuple(OrderLine(str(i), str(n), int(q), int(p)) for i, n, q, p in data["lines"]),
            currency=str(data["currency"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            locale=str(data.get("locale", "en-US")),
            status=OrderStatus(data["status"]),
            request_id=str(data.get("request_id", "")),
            pickup_at=datetime.fromisoformat(pickup) if pickup else None,
        )


def order_from_cart(
    cart: Cart,
    *,
    number: int,
    user_id: str,
    catalog: Catalog,
    now: datetime,
    request_id: str,
    pickup_minutes: int,
) -> Order:
    """Price a cart at today's prices. Lines whose item left the catalog are dropped."""
    lines = []
    for line in cart.lines:
        item = catalog.get(line.item_id)
        if item is not None:
            lines.append(OrderLine(item.id, item.name, line.quantity, item.price.cents))
    if not lines:
        raise EmptyCart("The cart is empty, so there is nothing to check out.")
    return Order(
        number=number,
        user_id=user_id,
        lines=tuple(lines),
        currency=catalog.currency,
        created_at=now,
        locale=catalog.locale,
        request_id=request_id,
        pickup_at=now + timedelta(minutes=pickup_minutes),
    )
