"""An order's "ready" notification state (skill.domain.orders.OrderNotification): what
every store keeps on the order, read back as strictly as the rest of the order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from skill.domain.orders import (
    MAX_NOTIFICATION_DETAIL,
    Order,
    OrderLine,
    OrderNotification,
    OrderStatus,
)
from skill.errors import CorruptRecord
from skill.shop_actions import public_order

AT = datetime(2026, 11, 27, 10, 15, 30, tzinfo=UTC)
USER = "amzn1.ask.account.AEXAMPLEUSER"
ORDER = Order(1001, USER, (OrderLine("APPLE", "apples", 2, 75),), "USD", AT, "en-US")
FAILED = OrderNotification("failed", "HTTP 503 from the Proactive Events API after 4 attempts", AT)


def test_an_order_round_trips_with_its_notification_state() -> None:
    order = ORDER.with_status(OrderStatus.READY).with_notification(FAILED)
    data = order.to_data()
    assert data["notification"] == {
        "status": "failed",
        "detail": "HTTP 503 from the Proactive Events API after 4 attempts",
        "at": "2026-11-27T10:15:30+00:00",
    }
    assert Order.from_data(data) == order
    # a status change keeps it
    assert order.with_status(OrderStatus.COLLECTED).notification == FAILED
    # and staff screens get it, never the customer's id
    shown = public_order(order)
    assert shown["notification"] == data["notification"] and "user_id" not in shown


def test_an_order_without_one_is_stored_as_before() -> None:
    assert "notification" not in ORDER.to_data()
    assert Order.from_data({**ORDER.to_data(), "notification": None}).notification is None


@pytest.mark.parametrize(
    "damage",
    [
        "sent by pigeon",
        {"status": "lost", "detail": "", "at": AT.isoformat()},
        {"status": "failed", "detail": 503, "at": AT.isoformat()},
        {"status": "failed", "detail": "x" * (MAX_NOTIFICATION_DETAIL + 1), "at": AT.isoformat()},
        {"status": "failed", "detail": "", "at": "yesterday"},
        {"status": "failed", "detail": "", "at": "2026-11-27T10:15:30"},  # no zone
        {"status": "failed", "detail": ""},
    ],
)
def test_a_damaged_notification_state_makes_the_order_a_corrupt_record(damage: Any) -> None:
    with pytest.raises(CorruptRecord, match="notification state"):
        Order.from_data({**ORDER.to_data(), "notification": damage})


def test_a_long_reason_is_cut_to_what_a_store_keeps() -> None:
    made = OrderNotification.of("failed", "x" * 500, AT)
    assert len(made.detail) == MAX_NOTIFICATION_DETAIL and made.detail.endswith("…")
    assert OrderNotification.from_data(made.to_data()) == made
